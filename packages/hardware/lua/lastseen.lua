-- Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms).
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1
  return era * 146097 + yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy - 719468
end

local function civil_from_days(z)
  z = z + 719468
  local era = math.floor(z / 146097)
  local doe = z - era * 146097
  local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524)
    - math.floor(doe / 146096)) / 365)
  local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
  local mp = math.floor((5 * doy + 2) / 153)
  local d = doy - math.floor((153 * mp + 2) / 5) + 1
  local m = mp < 10 and mp + 3 or mp - 9
  if m <= 2 then return yoe + era * 400 + 1, m, d end
  return yoe + era * 400, m, d
end

-- A stored lastseen in the comparable fixed-width shape `YYYY-MM-DDTHH:MM:SS.ffffff` (UTC), read
-- as timestamp.ts parseTimestamp reads it, so that what the API shows as a time is compared as that
-- time: the original's isoformat() with or without fraction, and the ISO 8601 forms another program
-- may have written (`Z` or an offset, a space for the `T`, up to 9 fraction digits). Anything else
-- is nil, older than any real time, so it gets replaced. Redis runs each script on its own:
-- lua.ts puts this file before record.lua and preload.lua, which use `norm`.
local function norm(v)
  if not v then return nil end
  local ys, mos, ds, hs, mis, ss, rest = string.match(v,
    '^%s*(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)(.-)%s*$')
  if not ys then return nil end
  local frac, zone = string.match(rest, '^%.(%d+)(.*)$')
  if frac then
    if #frac > 9 then return nil end
  else
    frac, zone = '', rest
  end
  local offset = 0
  if zone ~= '' and zone ~= 'Z' and zone ~= 'z' then
    local sign, oh, om = string.match(zone, '^([+-])(%d%d):?(%d%d)$')
    -- `+24:00` is no offset (Python refuses a day or more): read as one, a value could stay
    -- newer than every sign of life for good.
    if not sign or tonumber(oh) > 23 or tonumber(om) > 59 then return nil end
    offset = tonumber(oh) * 60 + tonumber(om)
    if sign == '-' then offset = -offset end
  end
  local y, mo, d = tonumber(ys), tonumber(mos), tonumber(ds)
  local h, mi, s = tonumber(hs), tonumber(mis), tonumber(ss)
  -- As JavaScript's Date.UTC does (years 0-99 are 1900-1999 there): a date that does not exist is
  -- not a time.
  if y < 100 or mo < 1 or mo > 12 or d < 1 or h > 23 or mi > 59 or s > 59 then return nil end
  local day = days_from_civil(y, mo, d)
  local cy, cm, cd = civil_from_days(day)
  if cy ~= y or cm ~= mo or cd ~= d then return nil end
  local minutes = h * 60 + mi - offset
  y, mo, d = civil_from_days(day + math.floor(minutes / 1440))
  minutes = minutes % 1440
  frac = string.sub(frac .. '000000', 1, 6)
  return string.format('%04d-%02d-%02dT%02d:%02d:%02d.%s', y, mo, d, math.floor(minutes / 60),
    minutes % 60, s, frac)
end
