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
-- ARGV: epoch ('' = any: a rebuild), now, gauges (1/0), gauge minute expiry, gauge hour
--   expiry, the plan as MessagePack (one C call to pack in the consumer, instead of one
--   Redis argument per word): an array of
--   1 {partition, applied offset as read or ''}...  2 {entity key, version as read or ''}...
--   3 {hash key, field, value as read or ''}...     4 {seen key, {event ids that must be absent}}...
--   5 {feed key, newest occurred_at, oldest}...             6 {hash key, field, increment}... (counters;
--   one that would pass 64 bits is left as it is and counted)   7 {command words}...
--   then the commands whose words are bytes (dead letters: a message's original bytes,
--   which MessagePack's str cannot carry): n, then n words, to the end.
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

-- HGET that names a key of another type (the -4 reason) instead of failing the script; a
-- key it could read is a hash (or absent), so its TYPE need not be asked again.
local function hget(key, fld)
  local v = redis.pcall('HGET', key, fld)
  if type(v) == 'table' and v.err then
    return nil, expect(key, 'hash') or v.err
  end
  if checked[key] == nil then checked[key] = 'hash' end
  return v, nil
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

local P = cmsgpack.unpack(ARGV[6])

for _, g in ipairs(P[1]) do
  if (redis.call('HGET', KEYS[2], g[1]) or '') ~= g[2] then return {-3, 0} end
end
for _, e in ipairs(P[2]) do
  local v, why = hget(e[1], 'v')
  if why then return {-4, why} end
  if (v or '') ~= e[2] then return {-3, 0} end
end
for _, c in ipairs(P[3]) do
  local v, why = hget(c[1], c[2])
  if why then return {-4, why} end
  if (v or '') ~= c[3] then return {-3, 0} end
end
for _, u in ipairs(P[4]) do
  local key, ids = u[1], u[2]
  local why = expect(key, 'zset')
  if why then return {-4, why} end
  for from = 1, #ids, 500 do
    for _, score in ipairs(redis.call('ZMSCORE', key, unpack(ids, from, math.min(#ids, from + 499)))) do
      if score then return {-3, 0} end
    end
  end
end

for _, f in ipairs(P[5]) do
  local why = expect(f[1], 'hash')
  if why then return {-4, why} end
end

-- Counters: a stored value that is not an integer would fail HINCRBY half-way; one that
-- would pass 64 bits (|value| >= 2^63, checked with a margin for doubles) is skipped.
local incr, overflow = {}, 0
for _, c in ipairs(P[6]) do
  local key, fld, by = c[1], c[2], c[3]
  local cur, why = hget(key, fld)
  if why then return {-4, why} end
  if cur and not string.match(cur, '^%-?%d+$') then
    return {-4, 'field ' .. fld .. ' of ' .. key .. ' holds ' .. string.sub(cur, 1, 40) ..
                ', not an integer counter'}
  end
  if math.abs((tonumber(cur) or 0) + tonumber(by)) >= 9.2e18 then
    overflow = overflow + 1
  else
    incr[#incr + 1] = c
  end
end

local offsets = nil
for _, cmd in ipairs(P[7]) do
  local kind = KIND[cmd[1]]
  if kind then
    local why = expect(cmd[2], kind)
    if why then return {-4, why} end
  end
  if cmd[1] == 'HSET' and cmd[2] == KEYS[2] then offsets = cmd end
end
local i = 7
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
i = 7
while i <= #ARGV do
  local words = tonumber(ARGV[i])
  redis.call(unpack(ARGV, i + 1, i + words))
  i = i + words + 1
end
for _, cmd in ipairs(P[7]) do
  if cmd ~= offsets then redis.call(unpack(cmd)) end
end

for _, f in ipairs(P[5]) do
  local cur = tonumber(redis.call('HGET', f[1], 'last_event_ts'))
  if cur == nil or tonumber(f[2]) > cur then redis.call('HSET', f[1], 'last_event_ts', f[2]) end
  local first = tonumber(redis.call('HGET', f[1], 'first_event_ts'))
  if first == nil or tonumber(f[3]) < first then redis.call('HSET', f[1], 'first_event_ts', f[3]) end
  redis.call('HSETNX', f[1], 'first_applied_ts', ARGV[2])
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
if offsets then redis.call(unpack(offsets)) end
return {0, overflow}
