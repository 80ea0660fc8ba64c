--[[
  Adds many standard jobs in one call, writing exactly what BullMQ's addStandardJob writes for a
  job with a custom id and no parent, delay, priority, deduplication or LIFO (add-jobs.ts says
  why, and add-jobs.int.test.ts compares the two): the job hash, its "added" and "waiting"
  events, its id on the wait list and the marker that wakes the workers. A job whose id is
  already there is left alone and gets a "duplicated" event, as BullMQ does.

  KEYS[1] wait list      KEYS[4] active list
  KEYS[2] meta hash      KEYS[5] events stream
  KEYS[3] id counter     KEYS[6] marker zset

  ARGV[1] the queue's key prefix ("<prefix>:<queue>:"), ARGV[2] the timestamp (epoch ms);
  then four per job: id, name, data (JSON), opts (JSON, BullMQ's stored form).

  Returns one number per job, in order: 1 for a job added, 0 for one already there.
]]
local waitKey, metaKey, idKey, activeKey, eventsKey, markerKey =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local rcall = redis.call
local prefix, timestamp = ARGV[1], ARGV[2]

-- BullMQ counts every add, custom id or not.
rcall("INCRBY", idKey, (#ARGV - 2) / 4)

local maxEvents = rcall("HGET", metaKey, "opts.maxLenEvents")
if not maxEvents then
  maxEvents = 10000
  rcall("HSET", metaKey, "opts.maxLenEvents", maxEvents)
end

local added = 0
local fresh = {}
for i = 3, #ARGV, 4 do
  local jobId, name = ARGV[i], ARGV[i + 1]
  local jobKey = prefix .. jobId
  if rcall("EXISTS", jobKey) == 1 then
    rcall("XADD", eventsKey, "MAXLEN", "~", maxEvents, "*", "event", "duplicated", "jobId", jobId)
    fresh[#fresh + 1] = 0
  else
    rcall("HMSET", jobKey, "name", name, "data", ARGV[i + 2], "opts", ARGV[i + 3],
      "timestamp", timestamp, "delay", 0, "priority", 0)
    rcall("XADD", eventsKey, "*", "event", "added", "jobId", jobId, "name", name)
    rcall("LPUSH", waitKey, jobId)
    rcall("XADD", eventsKey, "MAXLEN", "~", maxEvents, "*", "event", "waiting", "jobId", jobId)
    added = added + 1
    fresh[#fresh + 1] = 1
  end
end

-- A paused queue, or one at its global concurrency, gets no marker: workers would find nothing.
if added > 0 then
  local meta = rcall("HMGET", metaKey, "paused", "concurrency")
  local maxed = meta[1] or (meta[2] and rcall("LLEN", activeKey) >= tonumber(meta[2]))
  if not maxed then
    rcall("ZADD", markerKey, 0, "0")
  end
end

return fresh
