-- Publishes one data plane's in-flight count for a provider key and reads the shared state.
-- KEYS[1] tg:adaptive:pk:<id>
-- ARGV[1] dp instance id      ARGV[2] its in-flight count   ARGV[3] start limit (when missing)
-- ARGV[4] initial limit (after a reset)   ARGV[5] learning_reset_at_unix_ms from config
-- ARGV[6] ms after which another data plane's count is stale   ARGV[7] 1 = adaptive key
-- Returns {limit, others_in_flight, last_429_ms, last_increase_ms, now_ms, reset(0/1), old_limit}
local key = KEYS[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = 0
local reset = 0
local old = 0
if ARGV[7] == '1' then
  old = tonumber(redis.call('HGET', key, 'limit') or '0')
  local applied = tonumber(redis.call('HGET', key, 'reset_at_ms') or '0')
  local resetAt = tonumber(ARGV[5])
  if resetAt > applied then
    limit = tonumber(ARGV[4])
    redis.call('HSET', key, 'limit', limit, 'reset_at_ms', resetAt, 'last_429_ms', 0,
      'last_decrease_ms', 0, 'last_increase_ms', now)
    reset = 1
  elseif old == 0 then
    limit = tonumber(ARGV[3])
    redis.call('HSET', key, 'limit', limit, 'last_increase_ms', now)
  else
    limit = old
  end
end
local self = 'dp:' .. ARGV[1]
redis.call('HSET', key, self, ARGV[2] .. ':' .. now)
local others = 0
local stale = tonumber(ARGV[6])
local fields = redis.call('HGETALL', key)
for i = 1, #fields, 2 do
  local field = fields[i]
  if field ~= self and string.sub(field, 1, 3) == 'dp:' then
    local value = fields[i + 1]
    local sep = string.find(value, ':', 1, true)
    local count = tonumber(string.sub(value, 1, sep - 1))
    local at = tonumber(string.sub(value, sep + 1))
    if now - at > stale then
      redis.call('HDEL', key, field)
    else
      others = others + count
    end
  end
end
local last429 = tonumber(redis.call('HGET', key, 'last_429_ms') or '0')
local lastIncrease = tonumber(redis.call('HGET', key, 'last_increase_ms') or '0')
return {limit, others, last429, lastIncrease, now, reset, old}
