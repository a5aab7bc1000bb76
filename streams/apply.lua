-- Fold one batch of decided Kafka records into Marvec's aggregates, atomically.
--
-- ARGV[1]  key templates (JSON, from marvec.keys.lua_templates: the one key layout)
-- ARGV[2]  config (JSON): now, dedupe_s, retention_s, sla{priority: s}, minute_ttl,
--          hour_ttl, day_ttl, ticker_len, timeline_len, resolutions_len
-- ARGV[3]  items (JSON list); each has tp ("topic|partition"), p, o (offset), f (feed);
--          a rejection has rej/det/topic/raw, an event the fields of streams.fold.
-- ARGV[4+] raw message bytes, referenced by an item's `raw` index (1-based)
--
-- A record whose offset is at or below the partition's recorded offset was applied
-- before (Kafka redelivery after a restart): it is skipped and counted nowhere.
-- Every item is computed first and its writes run only if that succeeded, so a
-- record that trips a fault becomes an `internal` dead letter instead of stopping
-- the partition. Counter increments are summed per batch and written once.

local cfg = cjson.decode(ARGV[2])
local items = cjson.decode(ARGV[3])
local now = cfg.now
local now_min = math.floor(now / 60)

-- The epoch names the Redis picture this consumer resumed into. No epoch: Redis lost
-- its aggregates (restarted empty, flushed) and must be rebuilt before anything is
-- applied on top; another epoch: a rebuild happened, so re-seek first. `marvec rebuild`
-- itself passes an empty epoch.
if cfg.epoch ~= '' then
  local cur = redis.call('HGET', K['meta'], 'epoch')
  if not cur then return {-1, 0, 0, 0} end
  if cur ~= cfg.epoch then return {-2, 0, 0, 0} end
end


-- bucket keys are asked for several times per event: build each once per batch
local bucket_keys = {minute_bucket = {}, hour_bucket = {}}
local function bucket(name, n)
  local memo = bucket_keys[name]
  local k = memo[n]
  if not k then k = key(name, n); memo[n] = k end
  return k
end

local function num(x) return tonumber(x) end
local function fmt(n)
  if type(n) == 'number' then return string.format('%.17g', n) end
  return n
end

-- batch-wide sums and expiries -------------------------------------------------
local hincr, expire_at, offsets, ticker = {}, {}, {}, {}
local feed_last, seen_feeds = {}, {}
local result = {accepted = 0, duplicates = 0, rejected = 0, skipped = 0}

-- per-item pending work (committed only when the item's handler succeeded)
local pend_inc, pend_cmd, pend_exp, pend_tick

local function inc(k, f, n)
  if n == 0 or n == nil then return end
  local t = pend_inc[k]
  if not t then t = {}; pend_inc[k] = t end
  t[f] = (t[f] or 0) + n
end
local function cmd(...) pend_cmd[#pend_cmd + 1] = {...} end
local function expat(k, at) pend_exp[#pend_exp + 1] = {k, at} end

local function begin_item() pend_inc, pend_cmd, pend_exp, pend_tick = {}, {}, {}, nil end

local function commit_item()
  for _, c in ipairs(pend_cmd) do redis.call(unpack(c)) end
  for k, t in pairs(pend_inc) do
    local g = hincr[k]
    if not g then g = {}; hincr[k] = g end
    for f, n in pairs(t) do g[f] = (g[f] or 0) + n end
  end
  for _, e in ipairs(pend_exp) do
    if (expire_at[e[1]] or 0) < e[2] then expire_at[e[1]] = e[2] end
  end
  if pend_tick then ticker[#ticker + 1] = pend_tick end
end

local function hgetall(k)
  local raw = redis.call('HGETALL', k)
  local s, orig = {}, {}
  for i = 1, #raw, 2 do s[raw[i]] = raw[i + 1]; orig[raw[i]] = raw[i + 1] end
  return s, raw[1] ~= nil, orig
end

-- write the fields of state `s` that differ from what was read (`orig`)
local function hset_changed(k, s, orig)
  local args = {'HSET', k}
  for f, v in pairs(s) do
    local text = fmt(v)
    if orig[f] ~= text then args[#args + 1] = f; args[#args + 1] = text end
  end
  if #args > 2 then pend_cmd[#pend_cmd + 1] = args end
end

local function trend(e, field, n)
  if e.m >= now_min - 1500 then
    local mk = bucket('minute_bucket', e.m)
    inc(mk, field, n)
    if not expire_at[mk] then expire_at[mk] = e.m * 60 + cfg.minute_ttl end
  end
  local hk = bucket('hour_bucket', e.h)
  inc(hk, field, n)
  if not expire_at[hk] then expire_at[hk] = e.h * 3600 + cfg.hour_ttl end
end

-- is the event newer than the stored state? (latest occurred_at; ties: later offset)
local function is_newer(s, exists, e)
  if not exists or s.t == nil then return true end
  local st = num(s.t)
  if e.t ~= st then return e.t > st end
  local sp, so = num(s.p) or -1, num(s.o) or -1
  if e.p ~= sp then return e.p > sp end
  return e.o > so
end

local function merge(s, e, map, newer)
  for ef, sf in pairs(map) do
    local v = e[ef]
    if v ~= nil and (newer or s[sf] == nil) then s[sf] = v end
  end
end

local function reject_item(it, reason, detail)
  inc(key('feed', it.f), 'rejected', 1)
  local head = cjson.encode({reason = reason, detail = detail, topic = it.tp:match('^(.*)|'),
                             partition = it.p, offset = it.o})
  cmd('RPUSH', key('outbox', it.tp), head, ARGV[3 + it.raw])
  result.rejected = result.rejected + 1
end

-- complaints -------------------------------------------------------------------
local OPEN = {received = true, assigned = true, in_progress = true}
local C_FIELDS = {cat = 'cat', pr = 'pr', opd = 'opd', k = 'k', lat = 'lat', lon = 'lon', txt = 'txt', src = 'src'}

local function complaint_contrib(s)
  if not OPEN[s.st] then return nil end
  local base = num(s.rcv) or num(s.first)
  return {k = s.k or '?', cat = s.cat or 'unknown', opd = s.opd,
          due = base + cfg.sla[s.pr or 'normal']}
end

local function open_counts(c, sign)
  inc(key('complaint_totals'), 'open', sign)
  inc(key('open_by_kecamatan'), c.k, sign)
  inc(key('open_by_category'), c.cat, sign)
  inc(key('open_by_kecamatan_category'), c.k .. '|' .. c.cat, sign)
  if c.opd then inc(key('open_by_opd'), c.opd, sign) end
end

local function complaint_lifecycle(s, e)
  local first = num(s.first)
  if first == nil or e.t < first then s.first = e.t end
  if e.st == 'received' then
    local r = num(s.rcv)
    if r == nil then
      inc(key('complaint_day', e.d), 'received', 1)
      trend(e, 'c:received', 1)
      trend(e, 'c:cat:' .. (e.cat or s.cat or 'unknown'), 1)
    end
    if r == nil or e.t < r then s.rcv = e.t end
  end
  if e.st == 'resolved' and s.res == nil then
    s.res = e.t
    inc(key('complaint_day', e.d), 'resolved', 1)
    expat(key('complaint_day', e.d), e.de + cfg.day_ttl)
    trend(e, 'c:resolved', 1)
    return true
  end
  return false
end

local function record_resolution(s, id)
  local base = num(s.rcv) or num(s.first)
  local due = base + cfg.sla[s.pr or 'normal']
  local within = (num(s.res) <= due) and 1 or 0
  local rk = key('resolutions', s.opd or '-')
  cmd('LPUSH', rk, fmt(num(s.res) - base) .. '|' .. within .. '|' .. fmt(num(s.res)))
  cmd('LTRIM', rk, 0, cfg.resolutions_len - 1)
end

local function complaint(e, it)
  local id = e.cid
  local k = key('complaint', id)
  local s, exists, orig = hgetall(k)
  local old = complaint_contrib(s)
  local newer = is_newer(s, exists, e)
  if newer then s.st = e.st; s.t = e.t; s.p = e.p; s.o = e.o end
  merge(s, e, C_FIELDS, newer)
  if complaint_lifecycle(s, e) then record_resolution(s, id) end
  expat(key('complaint_day', e.d), e.de + cfg.day_ttl)
  local new = complaint_contrib(s)
  if old then open_counts(old, -1) end
  if new then
    open_counts(new, 1)
    local same_due = old and old.due == new.due
    if not same_due then cmd('ZADD', key('due'), fmt(new.due), id) end
    if newer then cmd('ZADD', key('latest_open'), fmt(num(s.t)), id) end
    if new.opd and not (same_due and old.opd == new.opd) then
      cmd('ZADD', key('due_by_opd', new.opd), fmt(new.due), id); cmd('SADD', key('opds'), new.opd)
    end
  elseif old then
    cmd('ZREM', key('due'), id); cmd('ZREM', key('latest_open'), id)
  end
  if old and old.opd and (new == nil or new.opd ~= old.opd) then cmd('ZREM', key('due_by_opd', old.opd), id) end
  hset_changed(k, s, orig)
  if new then
    if exists and not old then cmd('PERSIST', k) end
  else
    cmd('EXPIREAT', k, math.floor(num(s.t) + cfg.retention_s))
  end
  if newer then
    pend_tick = {feed = 'complaints', at = e.t, kind = e.st, title = s.cat or 'unknown', text = s.txt,
                 k = s.k, id = id}
  end
end

-- economy ----------------------------------------------------------------------
local function price(e)
  local k = key('price', e.com)
  local cur = redis.call('HGET', k, e.mkt)
  local cur_t = cur and num(string.match(cur, '^([^|]+)'))
  local val = fmt(e.t) .. '|' .. fmt(e.price) .. '|' .. e.unit
  if not cur_t or e.t >= cur_t then
    cmd('HSET', k, e.mkt, val)
    pend_tick = {feed = 'economy', at = e.t, kind = 'price', title = e.com, text = e.mkt, k = e.k,
                 value = e.price}
  end
  local dk = key('price_day', e.com, e.d)
  local dcur = redis.call('HGET', dk, e.mkt)
  local dcur_t = dcur and num(string.match(dcur, '^([^|]+)'))
  if not dcur_t or e.t >= dcur_t then cmd('HSET', dk, e.mkt, val) end
  expat(dk, e.de + cfg.day_ttl)
end

local function transactions(e)
  local dk = key('tx_day', e.d)
  inc(dk, 'count', e.n); inc(dk, 'amount', e.amt)
  inc(dk, 'k:' .. e.k, e.amt); inc(dk, 'kc:' .. e.k, e.n); inc(dk, 'm:' .. e.mc, e.amt)
  expat(dk, e.de + cfg.day_ttl)
  trend(e, 'e:tx_count', e.n); trend(e, 'e:tx_amount', e.amt)
  pend_tick = {feed = 'economy', at = e.t, kind = 'transactions', title = e.mc, k = e.k, value = e.amt}
end

-- disasters --------------------------------------------------------------------
local D_FIELDS = {hz = 'hz', sev = 'sev', lat = 'lat', lon = 'lon', k = 'k', ap = 'ap', dp = 'dp',
                  inj = 'inj', dth = 'dth', mag = 'mag', dep = 'dep', wl = 'wl', src = 'src'}
local IMPACT = {ap = 'affected_people', dp = 'displaced', inj = 'injured', dth = 'deaths'}

local function incident_contrib(s)
  if s.st == 'closed' or s.st == nil then return nil end
  return {hz = s.hz, k = s.k, ap = num(s.ap) or 0, dp = num(s.dp) or 0, inj = num(s.inj) or 0,
          dth = num(s.dth) or 0}
end

local function incident_counts(c, sign)
  local tk = key('disaster_totals')
  inc(tk, 'active', sign)
  for f, name in pairs(IMPACT) do inc(tk, name, sign * c[f]) end
  inc(key('active_by_hazard'), c.hz, sign)
  if c.k then inc(key('active_by_kecamatan'), c.k, sign) end
end

local function incident(e, it)
  local id = e.iid
  local k = key('incident', id)
  local s, exists, orig = hgetall(k)
  if not exists and (e.hz == nil or e.sev == nil) then
    return 'hazard and severity are required on the first event of incident ' .. id
  end
  local old = incident_contrib(s)
  local newer = is_newer(s, exists, e)
  if newer then s.st = e.st; s.t = e.t; s.p = e.p; s.o = e.o end
  merge(s, e, D_FIELDS, newer)
  local first = num(s.first)
  if first == nil or e.t < first then s.first = e.t end
  if not exists then trend(e, 'd:new', 1) end
  local new = incident_contrib(s)
  if old then incident_counts(old, -1) end
  if new then incident_counts(new, 1); cmd('SADD', key('active_incidents'), id)
  elseif old then cmd('SREM', key('active_incidents'), id) end
  local tl = key('timeline', id)
  cmd('RPUSH', tl, fmt(e.t) .. '|' .. e.st .. '|' .. (e.sev or s.sev or ''))
  cmd('LTRIM', tl, -cfg.timeline_len, -1)
  hset_changed(k, s, orig)
  if new then
    if exists and not old then cmd('PERSIST', k); cmd('PERSIST', tl) end
  else
    local at = math.floor(num(s.t) + cfg.retention_s)
    cmd('EXPIREAT', k, at); cmd('EXPIREAT', tl, at)
  end
  if newer then
    pend_tick = {feed = 'disasters', at = e.t, kind = e.st, title = s.hz, k = s.k, id = id,
                 value = num(s.sev)}
  end
  return nil
end

-- one item -----------------------------------------------------------------------
local function accept(it)
  local e = it
  if e.f == 'disasters' then
    local why = incident(e, it)
    if why then return why end
  elseif e.f == 'complaints' then complaint(e, it)
  elseif e.kind == 'price' then price(e)
  else transactions(e) end
  local fk = key('feed', e.f)
  inc(fk, 'accepted', 1)
  trend(e, e.f, 1)
  if e.k then trend(e, e.f .. ':k:' .. e.k, 1) end
  return nil
end

local function handle(it)
  if it.rej then reject_item(it, it.rej, it.det); return end
  local sk = key('seen', it.f)
  seen_feeds[sk] = true
  if redis.call('ZSCORE', sk, it.id) then
    inc(key('feed', it.f), 'duplicates', 1)
    result.duplicates = result.duplicates + 1
    return
  end
  local why = accept(it)
  if why then
    pend_inc, pend_cmd, pend_exp, pend_tick = {}, {}, {}, nil
    reject_item(it, 'schema', why)
    return
  end
  cmd('ZADD', sk, fmt(it.t), it.id)
  local fl = feed_last[it.f]
  if fl == nil or it.t > fl then feed_last[it.f] = it.t end
  result.accepted = result.accepted + 1
end

local stored = {}
for _, it in ipairs(items) do
  local done = stored[it.tp]
  if done == nil then
    done = num(redis.call('HGET', key('offsets'), it.tp)) or -1
    stored[it.tp] = done
  end
  if it.o <= done then
    result.skipped = result.skipped + 1
  else
    begin_item()
    local ok, err = pcall(handle, it)
    if not ok then
      begin_item()
      reject_item(it, 'internal', 'fault while folding this message: ' .. tostring(err):sub(1, 200))
    end
    commit_item()
    if (offsets[it.tp] or -1) < it.o then offsets[it.tp] = it.o end
  end
end

-- flush the batch's sums, expiries, offsets, feed stats, gauges and ticker ------------
-- redis.pcall: nothing after the items may fail half-way (Redis keeps a failed script's
-- writes). A counter pushed past 64 bits keeps its value and is reported instead.
local overflow = 0
for k, t in pairs(hincr) do
  for f, n in pairs(t) do
    if n ~= 0 then
      local r = redis.pcall('HINCRBY', k, f, string.format('%.0f', n))
      if type(r) == 'table' and r.err then overflow = overflow + 1 end
    end
  end
end
for k, at in pairs(expire_at) do redis.call('EXPIREAT', k, math.floor(at)) end
for sk in pairs(seen_feeds) do
  redis.call('ZREMRANGEBYSCORE', sk, '-inf', '(' .. fmt(now - cfg.dedupe_s))
end
for tp, o in pairs(offsets) do redis.call('HSET', key('offsets'), tp, o) end
for feed, t in pairs(feed_last) do
  local fk = key('feed', feed)
  local cur = num(redis.call('HGET', fk, 'last_event_ts'))
  if cur == nil or t > cur then redis.call('HSET', fk, 'last_event_ts', fmt(t)) end
  redis.call('HSET', fk, 'last_applied_ts', fmt(now))
end
if result.accepted > 0 then
  local tot = redis.call('HMGET', key('disaster_totals'), 'active', 'affected_people', 'displaced')
  local open = redis.call('HGET', key('complaint_totals'), 'open') or '0'
  local overdue = redis.call('ZCOUNT', key('due'), '-inf', '(' .. fmt(now))
  local now_hour = math.floor(now / 3600)
  for _, gk in ipairs({key('gauge_minute', now_min), key('gauge_hour', now_hour)}) do
    redis.call('HSET', gk, 'c:open', open, 'c:overdue', overdue, 'd:active', tot[1] or '0',
               'd:affected', tot[2] or '0', 'd:displaced', tot[3] or '0')
  end
  redis.call('EXPIREAT', key('gauge_minute', now_min), now_min * 60 + cfg.minute_ttl)
  redis.call('EXPIREAT', key('gauge_hour', now_hour), now_hour * 3600 + cfg.hour_ttl)
end
if #ticker > 0 then
  local args = {'LPUSH', key('ticker')}
  for i = math.max(1, #ticker - cfg.ticker_len + 1), #ticker do args[#args + 1] = cjson.encode(ticker[i]) end
  redis.call(unpack(args))
  redis.call('LTRIM', key('ticker'), 0, cfg.ticker_len - 1)
end
return {result.accepted, result.duplicates, result.rejected, result.skipped, overflow}
