-- Every limit operation of one data-plane event loop since its previous call, applied in order in
-- one atomic script (see dev.tollgate.dataplane.ratelimit.RedisRateLimiter and docs/redis-keys.md).
--
-- ARGV[1] = lease time to live, ms; then operations, each a tag and its arguments:
--   A nWindows nRpm nConc lease  (windowPrefix limit)*nWindows  (concKey limit)*nConc
--       admit one request: windows are the RPM scopes (the first nRpm, incremented when admitted)
--       then the TPM scopes (only checked); the request is admitted only if every window is below
--       its limit and every concurrency set holds fewer live leases than its limit, and only then
--       counted in every RPM window and leased in every set. Appends two numbers to the reply:
--       0 (admitted) or the 1-based index of the first refusing scope (windows, then sets), and the
--       milliseconds until the refusing window resets (1000 for a concurrency set).
--   R n lease key*n    release the lease from each set
--   N n lease key*n    renew the lease in each set where it still exists
--   C windowPrefix tokens    add tokens to the key's TPM window of this minute
--   D windowPrefix minute    take back one request counted in that window (a roll-back on a Redis
--       Cluster, where one admission spans two slots: see RedisClusterRateLimiter); never below 0
-- Windows are <prefix>:<minute> with minute = floor(unix seconds / 60) of Redis time. The reply
-- starts with that minute (so a roll-back names the window it undoes).
local now = redis.call('TIME')
local seconds = tonumber(now[1])
local nowMs = seconds * 1000 + math.floor(tonumber(now[2]) / 1000)
local minute = math.floor(seconds / 60)
local resetMs = (minute + 1) * 60000 - nowMs
local ttl = tonumber(ARGV[1])
local out = {minute}
local i = 2
local n = #ARGV
while i <= n do
  local op = ARGV[i]
  if op == 'A' then
    local nWindows = tonumber(ARGV[i + 1])
    local nRpm = tonumber(ARGV[i + 2])
    local nConc = tonumber(ARGV[i + 3])
    local lease = ARGV[i + 4]
    local w = i + 5
    local c = w + 2 * nWindows
    local refused = 0
    local retry = 0
    for s = 0, nWindows - 1 do
      local used = tonumber(redis.call('GET', ARGV[w + 2 * s] .. ':' .. minute) or '0')
      if used >= tonumber(ARGV[w + 2 * s + 1]) then
        refused = s + 1
        retry = resetMs
        break
      end
    end
    if refused == 0 then
      for s = 0, nConc - 1 do
        local key = ARGV[c + 2 * s]
        redis.call('ZREMRANGEBYSCORE', key, '-inf', nowMs)
        if redis.call('ZCARD', key) >= tonumber(ARGV[c + 2 * s + 1]) then
          refused = nWindows + s + 1
          retry = 1000
          break
        end
      end
    end
    if refused == 0 then
      for s = 0, nRpm - 1 do
        local key = ARGV[w + 2 * s] .. ':' .. minute
        if redis.call('INCR', key) == 1 then
          redis.call('EXPIRE', key, 120)
        end
      end
      for s = 0, nConc - 1 do
        local key = ARGV[c + 2 * s]
        redis.call('ZADD', key, nowMs + ttl, lease)
        redis.call('PEXPIRE', key, 2 * ttl)
      end
    end
    out[#out + 1] = refused
    out[#out + 1] = retry
    i = c + 2 * nConc
  elseif op == 'R' or op == 'N' then
    local count = tonumber(ARGV[i + 1])
    local lease = ARGV[i + 2]
    for s = 1, count do
      local key = ARGV[i + 2 + s]
      if op == 'R' then
        redis.call('ZREM', key, lease)
      elseif redis.call('ZADD', key, 'XX', 'CH', nowMs + ttl, lease) == 1 then
        redis.call('PEXPIRE', key, 2 * ttl)
      end
    end
    i = i + 3 + count
  elseif op == 'C' then
    local key = ARGV[i + 1] .. ':' .. minute
    redis.call('INCRBY', key, ARGV[i + 2])
    redis.call('EXPIRE', key, 120)
    i = i + 3
  elseif op == 'D' then
    local key = ARGV[i + 1] .. ':' .. ARGV[i + 2]
    if tonumber(redis.call('GET', key) or '0') > 0 then
      redis.call('DECR', key)
    end
    i = i + 3
  else
    return redis.error_reply('tollgate limits script: unknown operation ' .. tostring(op))
  end
end
return out
