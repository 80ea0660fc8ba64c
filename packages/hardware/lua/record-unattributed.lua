-- A message that named no worker: kept for operators to look at, once per event id.
--
-- KEYS: unattributed, unattributedRecent, stats (see HARDWARE_KEYS)
-- ARGV: event id, receive time (ms), entry JSON, how many to keep
-- Reply: 1 recorded, 0 a redelivery

if redis.call('ZADD', KEYS[2], 'NX', ARGV[2], ARGV[1]) == 0 then return 0 end
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[4]) + 1))
redis.call('LPUSH', KEYS[1], ARGV[3])
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[4]) - 1)
redis.call('HINCRBY', KEYS[3], 'no_worker', 1)
return 1
