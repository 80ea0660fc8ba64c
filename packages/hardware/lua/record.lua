-- Observations of machines, in order, in one atomic call. A redelivered event (its id among the
-- machine's recent ones) changes nothing. lastseen moves only forward and only on signs of life; the last_*
-- fields follow the newest event by event time, whatever order messages arrive in.
--
-- Redis does not undo a script's writes when a command in it fails (a key of the wrong type that
-- another program wrote): so every key of an event is read before any is written, and its id is
-- marked as seen last. A script that fails has then written the events before the failing one
-- whole, and none of that one: the retry takes the first for redeliveries and records the rest.
--
-- KEYS: the version of machines (bumped when it changes, see HARDWARE_KEYS), then 5 per
--       observation: machines, detail, recent, exceptions, index
-- ARGV, 15 per observation: id, time, alive ('1'/'0'), state, event id, receive time (ms),
--       recent-events limit, datacenter, hostname, task id, run id, worker type, reason,
--       exception JSON, exceptions limit
-- Reply, 3 per observation: lastseen updated (0/1), duplicate (0/1), stored lastseen

-- norm(v), a stored lastseen read as a comparable time (or nil): lua/lastseen.lua, which
-- lua.ts puts before this script.

local function record(K, A)
  local machines, detail, recent, exceptions, index = K[1], K[2], K[3], K[4], K[5]
  local id, time, alive, state, event_id, score = A[1], A[2], A[3], A[4], A[5], A[6]
  if redis.call('ZSCORE', recent, event_id) then
    return 0, 1, redis.call('HGET', machines, id)
  end
  -- Reads of every key first: a wrong type fails here, before this event wrote anything.
  local stored = redis.call('HGET', machines, id)
  local last, last_exception = unpack(redis.call('HMGET', detail, 'last_event_at',
    'last_exception_at'))
  redis.call('SISMEMBER', index, id)
  if state == 'exception' then redis.call('LLEN', exceptions) end
  local updated = 0
  if alive == '1' then
    local current = norm(stored)
    if not current or time > current then
      redis.call('HSET', machines, id, time)
      updated = 1
    end
  end
  redis.call('SADD', index, id)
  redis.call('HSET', detail, 'datacenter', A[8], 'hostname', A[9])
  redis.call('HINCRBY', detail, 'count_' .. state, 1)
  if not last or time >= last then
    redis.call('HSET', detail, 'last_event_at', time, 'last_state', state,
      'last_task_id', A[10], 'last_run_id', A[11], 'last_worker_type', A[12])
  end
  if state == 'exception' then
    redis.call('LPUSH', exceptions, A[14])
    redis.call('LTRIM', exceptions, 0, tonumber(A[15]) - 1)
    if not last_exception or time >= last_exception then
      redis.call('HSET', detail, 'last_exception_at', time, 'last_exception_reason', A[13])
    end
  end
  -- Marked as seen once all of it is written.
  redis.call('ZADD', recent, score, event_id)
  redis.call('ZREMRANGEBYRANK', recent, 0, -(tonumber(A[7]) + 1))
  return updated, 0, redis.call('HGET', machines, id)
end

local out = {}
local changed = 0
for i = 0, (#KEYS - 1) / 5 - 1 do
  local updated, duplicate, lastseen = record(
    {unpack(KEYS, i * 5 + 2, i * 5 + 6)}, {unpack(ARGV, i * 15 + 1, i * 15 + 15)})
  changed = changed + updated
  out[#out + 1] = updated
  out[#out + 1] = duplicate
  out[#out + 1] = lastseen or false
end
if changed > 0 then redis.call('INCR', KEYS[1]) end
return out
