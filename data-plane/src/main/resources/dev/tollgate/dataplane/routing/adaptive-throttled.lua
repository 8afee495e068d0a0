-- An upstream 429 of a provider key with an adaptive limit.
-- KEYS[1] tg:adaptive:pk:<id>
-- ARGV[1] kind: concurrency | unknown | rpm   ARGV[2] requests in flight across data planes
-- ARGV[3] lowest limit   ARGV[4] the caller's limit (when the state is missing)
-- ARGV[5] ms during which a further decrease is ignored (one burst of 429s lowers the limit once)
-- Returns {old_limit, new_limit, now_ms}
local key = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', key, 'last_429_ms', now)
local old = tonumber(redis.call('HGET', key, 'limit') or ARGV[4])
if ARGV[1] == 'rpm' then
  return {old, old, now}
end
local lastDecrease = tonumber(redis.call('HGET', key, 'last_decrease_ms') or '0')
if now - lastDecrease < tonumber(ARGV[5]) then
  return {old, old, now}
end
local floor = tonumber(ARGV[3])
local new
if ARGV[1] == 'concurrency' then
  new = math.floor(tonumber(ARGV[2]) * 0.85)
else
  new = math.floor(old * 0.9)
end
-- A 429 never raises the limit (in flight may briefly exceed it).
new = math.min(old, math.max(new, floor))
if new ~= old then
  redis.call('HSET', key, 'limit', new, 'last_decrease_ms', now)
end
return {old, new, now}
