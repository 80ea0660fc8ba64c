-- Lastseen values from a /machines list: a stored time that is as new or newer is kept.
--
-- KEYS: machines, the version of machines (bumped when it changes)
-- ARGV: field, value pairs
-- Reply per pair: 0 new, 1 updated, 2 skipped (the stored one is as new or newer)

-- norm(v), a stored lastseen read as a comparable time (or nil): lua/lastseen.lua, which
-- lua.ts puts before this script.

local out = {}
for i = 1, #ARGV, 2 do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  local n = norm(current)
  if not current then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]); out[#out + 1] = 0
  elseif not n or ARGV[i + 1] > n then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]); out[#out + 1] = 1
  else
    out[#out + 1] = 2
  end
end
for _, code in ipairs(out) do
  if code ~= 2 then redis.call('INCR', KEYS[2]); break end
end
return out
