-- A message that named no worker: kept for operators to look at, once per event id.
--
-- KEYS: unattributed, unattributedRecent, stats (see HARDWARE_KEYS)
-- ARGV: event id, receive time (ms), entry JSON, how many to keep
-- Reply: 1 recorded, 0 a redelivery
--
-- As in record.lua, the keys are read before any is written and the id is marked as seen last:
-- Redis keeps what a failing script wrote, and a retry must not take the message for a redelivery.

if redis.call('ZSCORE', KEYS[2], ARGV[1]) then return 0 end
redis.call('LLEN', KEYS[1])
redis.call('HGET', KEYS[3], 'no_worker')
redis.call('LPUSH', KEYS[1], ARGV[3])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[4]) - 1)
redis.call('HINCRBY', KEYS[3], 'no_worker', 1)
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[4]) + 1))
return 1
