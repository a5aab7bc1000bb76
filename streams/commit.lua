-- Commit one batch's plan (streams/plan.py) atomically, if what it was computed from
-- is still what Redis holds. The consumer did the thinking; this only checks and writes.
--
-- KEYS: meta, offsets, complaint totals, disaster totals, due, gauge minute, gauge hour
-- ARGV: epoch ('' = any: a rebuild), now, gauges (1/0), gauge minute expiry, gauge hour expiry,
--   G, G x (partition, applied offset as read or ''),
--   E, E x (entity key, version as read or ''),
--   C, C x (hash key, field, value as read or ''),
--   U, U x (seen key, m, m event ids that must still be absent),
--   F, F x (feed key, newest occurred_at of the batch),
--   H, H x (hash key, field, increment): counters; one that would overflow is counted,
--   then the plain commands to the end: n, then n words (command and arguments).
-- Returns {0, overflowed counters, failed commands}, or {-1} no picture (Redis lost it), {-2} another
-- picture (rebuilt since), {-3} the state moved since the read (re-read and re-plan).

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
  if (redis.call('HGET', ARGV[i], 'v') or '') ~= ARGV[i + 1] then return {-3, 0} end
  i = i + 2
end
n = count()
for _ = 1, n do
  if (redis.call('HGET', ARGV[i], ARGV[i + 1]) or '') ~= ARGV[i + 2] then return {-3, 0} end
  i = i + 3
end
n = count()
for _ = 1, n do
  local key, m = ARGV[i], tonumber(ARGV[i + 1])
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
  feeds[#feeds + 1] = {ARGV[i], ARGV[i + 1]}
  i = i + 2
end

local overflow = 0
n = count()
for _ = 1, n do
  local r = redis.pcall('HINCRBY', ARGV[i], ARGV[i + 1], ARGV[i + 2])
  if type(r) == 'table' and r.err then overflow = overflow + 1 end
  i = i + 3
end

-- redis.pcall: a command that fails (a key of another type where Marvec expects its own)
-- must not stop the commit half-way (Redis keeps a failed script's writes, and the batch
-- would be planned and partly applied again): it is counted and logged instead.
local failed = 0
while i <= #ARGV do
  local words = tonumber(ARGV[i])
  local r = redis.pcall(unpack(ARGV, i + 1, i + words))
  if type(r) == 'table' and r.err then failed = failed + 1 end
  i = i + words + 1
end

local function tail()
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
end
-- the feed stats and gauges read what the batch wrote: a failure there fails only them
local ok = pcall(tail)
if not ok then failed = failed + 1 end
return {0, overflow, failed}
