-- Commit one batch's plan (streams/plan.py) atomically, if what it was computed from
-- is still what Redis holds. The consumer did the thinking; this only checks and writes.
--
-- All or nothing. Redis keeps the writes a failing script made before it failed, so
-- every check runs before the first write: the guards, the type of every key the
-- plan writes, and every counter's stored value. A write that Redis refuses as a
-- whole (full at maxmemory, a read-only replica, a failing disk) is refused at the
-- first write, before anything changed; the error reaches the consumer, which keeps
-- the batch unapplied and its offsets uncommitted, and retries.
--
-- KEYS: meta, offsets, complaint totals, disaster totals, due, gauge minute, gauge hour
-- ARGV: epoch ('' = any: a rebuild), now, gauges (1/0), gauge minute expiry, gauge hour expiry,
--   G, G x (partition, applied offset as read or ''),
--   E, E x (entity key, version as read or ''),
--   C, C x (hash key, field, value as read or ''),
--   U, U x (seen key, m, m event ids that must still be absent),
--   F, F x (feed key, newest occurred_at of the batch),
--   H, H x (hash key, field, increment): counters; one that would pass 64 bits is left
--   as it is and counted,
--   then the plain commands to the end: n, then n words (command and arguments).
-- Returns {0, overflowed counters}, or {-1} no picture (Redis lost it), {-2} another
-- picture (rebuilt since), {-3} the state moved since the read (re-read and re-plan),
-- {-4, why} a key of another type or a counter that is not an integer (nothing written).

local KIND = {HSET = 'hash', HINCRBY = 'hash', HDEL = 'hash', ZADD = 'zset', ZREM = 'zset',
              ZREMRANGEBYSCORE = 'zset', SADD = 'set', SREM = 'set', LPUSH = 'list',
              RPUSH = 'list', LTRIM = 'list'}
local checked = {}
local function expect(key, kind)
  local seen = checked[key]
  if seen == nil then
    seen = redis.call('TYPE', key)['ok']
    checked[key] = seen
  end
  if seen ~= 'none' and seen ~= kind then
    return 'key ' .. key .. ' is a ' .. seen .. ' where Marvec keeps a ' .. kind
  end
  return nil
end

for idx, kind in ipairs({'hash', 'hash', 'hash', 'hash', 'zset', 'hash', 'hash'}) do
  local why = expect(KEYS[idx], kind)
  if why then return {-4, why} end
end

local epoch = ARGV[1]
if epoch ~= '' then
  local cur = redis.call('HGET', KEYS[1], 'epoch')
  if not cur then return {-1, 0} end
  if cur ~= epoch then return {-2, 0} end
end

local i = 6
local function count()
  local n = tonumber(ARGV[i]); i = i + 1; return n
end

local n = count()
for _ = 1, n do
  if (redis.call('HGET', KEYS[2], ARGV[i]) or '') ~= ARGV[i + 1] then return {-3, 0} end
  i = i + 2
end
n = count()
for _ = 1, n do
  local why = expect(ARGV[i], 'hash')
  if why then return {-4, why} end
  if (redis.call('HGET', ARGV[i], 'v') or '') ~= ARGV[i + 1] then return {-3, 0} end
  i = i + 2
end
n = count()
for _ = 1, n do
  local why = expect(ARGV[i], 'hash')
  if why then return {-4, why} end
  if (redis.call('HGET', ARGV[i], ARGV[i + 1]) or '') ~= ARGV[i + 2] then return {-3, 0} end
  i = i + 3
end
n = count()
for _ = 1, n do
  local key, m = ARGV[i], tonumber(ARGV[i + 1])
  local why = expect(key, 'zset')
  if why then return {-4, why} end
  i = i + 2
  local last = i + m - 1
  while i <= last do
    local upto = math.min(last, i + 499)
    for _, score in ipairs(redis.call('ZMSCORE', key, unpack(ARGV, i, upto))) do
      if score then return {-3, 0} end
    end
    i = upto + 1
  end
end

local feeds = {}
n = count()
for _ = 1, n do
  local why = expect(ARGV[i], 'hash')
  if why then return {-4, why} end
  feeds[#feeds + 1] = {ARGV[i], ARGV[i + 1]}
  i = i + 2
end

-- Counters: a stored value that is not an integer would fail HINCRBY half-way; one that
-- would pass 64 bits (|value| >= 2^63, checked with a margin for doubles) is skipped.
local incr, overflow = {}, 0
n = count()
for _ = 1, n do
  local key, fld, by = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  i = i + 3
  local why = expect(key, 'hash')
  if why then return {-4, why} end
  local cur = redis.call('HGET', key, fld)
  if cur and not string.match(cur, '^%-?%d+$') then
    return {-4, 'field ' .. fld .. ' of ' .. key .. ' holds ' .. string.sub(cur, 1, 40) ..
                ', not an integer counter'}
  end
  if math.abs((tonumber(cur) or 0) + tonumber(by)) >= 9.2e18 then
    overflow = overflow + 1
  else
    incr[#incr + 1] = {key, fld, by}
  end
end

local start = i
while i <= #ARGV do
  local words = tonumber(ARGV[i])
  local kind = KIND[ARGV[i + 1]]
  if kind then
    local why = expect(ARGV[i + 2], kind)
    if why then return {-4, why} end
  end
  i = i + words + 1
end

-- Every check passed: the writes. The offsets come last, so that an unforeseen failure
-- still leaves the batch's offsets where they were.
for _, c in ipairs(incr) do redis.call('HINCRBY', c[1], c[2], c[3]) end
i = start
local offsets = nil
while i <= #ARGV do
  local words = tonumber(ARGV[i])
  if ARGV[i + 1] == 'HSET' and ARGV[i + 2] == KEYS[2] then
    offsets = {i + 1, i + words}
  else
    redis.call(unpack(ARGV, i + 1, i + words))
  end
  i = i + words + 1
end

for _, f in ipairs(feeds) do
  local cur = tonumber(redis.call('HGET', f[1], 'last_event_ts'))
  if cur == nil or tonumber(f[2]) > cur then redis.call('HSET', f[1], 'last_event_ts', f[2]) end
  redis.call('HSET', f[1], 'last_applied_ts', ARGV[2])
end

if ARGV[3] == '1' then
  local tot = redis.call('HMGET', KEYS[4], 'active', 'affected_people', 'displaced')
  local open = redis.call('HGET', KEYS[3], 'open') or '0'
  local overdue = redis.call('ZCOUNT', KEYS[5], '-inf', '(' .. ARGV[2])
  for _, gk in ipairs({KEYS[6], KEYS[7]}) do
    redis.call('HSET', gk, 'c:open', open, 'c:overdue', overdue, 'd:active', tot[1] or '0',
               'd:affected', tot[2] or '0', 'd:displaced', tot[3] or '0')
  end
  redis.call('EXPIREAT', KEYS[6], ARGV[4])
  redis.call('EXPIREAT', KEYS[7], ARGV[5])
end
if offsets then redis.call(unpack(ARGV, offsets[1], offsets[2])) end
return {0, overflow}
