-- Raises the learned limit of a provider key if it is still what the caller saw.
-- KEYS[1] tg:adaptive:pk:<id>
-- ARGV[1] expected limit   ARGV[2] step   ARGV[3] highest limit   ARGV[4] reason: increase | probe
-- ARGV[5] ms after a 429 before any raise   ARGV[6] ms without a 429 or raise before a probe
-- Returns {old_limit, new_limit, now_ms}
local key = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local old = tonumber(redis.call('HGET', key, 'limit') or '0')
if old == 0 or old ~= tonumber(ARGV[1]) then
  return {old, old, now}
end
local last429 = tonumber(redis.call('HGET', key, 'last_429_ms') or '0')
if now - last429 < tonumber(ARGV[5]) then
  return {old, old, now}
end
if ARGV[4] == 'probe' then
  local lastIncrease = tonumber(redis.call('HGET', key, 'last_increase_ms') or '0')
  if now - last429 < tonumber(ARGV[6]) or now - lastIncrease < tonumber(ARGV[6]) then
    return {old, old, now}
  end
end
local new = math.min(old + tonumber(ARGV[2]), tonumber(ARGV[3]))
if new ~= old then
  redis.call('HSET', key, 'limit', new, 'last_increase_ms', now)
end
return {old, new, now}
