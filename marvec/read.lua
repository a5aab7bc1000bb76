-- Read everything a snapshot needs in one round trip; returns one JSON document of
-- raw values that marvec.store turns into the typed Snapshot.
--
-- ARGV[1] key templates (JSON, marvec.keys.lua_templates)
-- ARGV[2] request (JSON): now, feeds[], commodities[], days{today, yesterday, week[]},
--         minutes[], hours[], gauge_minutes[], gauge_hours[], yesterday_minute,
--         yesterday_hour, latest_n, ticker_n, resolutions_n, timeline_n, opds_n,
--         markets_n, incidents_n (the bounds: see marvec/store.py)

local q = cjson.decode(ARGV[2])

-- One key of the wrong type (or any error on one key) must not fail the whole read:
-- it is named in r.bad_keys and read as empty (the rest of the snapshot is served).
local bad = {}
local function call(cmd, k, ...)
  local res = redis.pcall(cmd, k, ...)
  if type(res) == 'table' and res.err then
    bad[#bad + 1] = {k, res.err}
    if cmd == 'ZCOUNT' then return 0 end
    if cmd == 'HMGET' then
      local out = {}
      for i = 1, select('#', ...) do out[i] = false end
      return out
    end
    return {}
  end
  return res
end

local function hall(k) return call('HGETALL', k) end
local function many(name, list, arg2)
  local out = {}
  for i, v in ipairs(list) do
    if arg2 ~= nil then out[i] = hall(key(name, v, arg2)) else out[i] = hall(key(name, v)) end
  end
  return out
end

local now_ex = '(' .. string.format('%.17g', q.now)
local r = {}

r.feeds = many('feed', q.feeds)
r.c_totals = hall(key('complaint_totals'))
r.c_kec = hall(key('open_by_kecamatan'))
r.c_cat = hall(key('open_by_category'))
r.c_opd = hall(key('open_by_opd'))
r.c_kc = hall(key('open_by_kecamatan_category'))
r.c_overdue = call('ZCOUNT', key('due'), '-inf', now_ex)
r.c_today = hall(key('complaint_day', q.days.today))

-- OPDs: every one's open and overdue counts (cheap: contract 3 lists them all), and
-- the resolutions of the worst opds_n only (most overdue, then most open), so that
-- thousands of OPD codes do not cost thousands of list reads.
local open_of = {}
for i = 1, #r.c_opd, 2 do open_of[r.c_opd[i]] = tonumber(r.c_opd[i + 1]) or 0 end
local cands, overdue_sum = {}, 0
for _, opd in ipairs(call('SMEMBERS', key('opds'))) do
  local od = call('ZCOUNT', key('due_by_opd', opd), '-inf', now_ex)
  overdue_sum = overdue_sum + od
  cands[#cands + 1] = {opd, od, open_of[opd] or 0}
end
table.sort(cands, function(a, b)
  if a[2] ~= b[2] then return a[2] > b[2] end
  if a[3] ~= b[3] then return a[3] > b[3] end
  return a[1] < b[1]
end)
r.opds, r.opds_overdue = {}, overdue_sum
for i, c in ipairs(cands) do
  if i <= q.opds_n then
    r.opds[#r.opds + 1] = {c[1], c[2], call('LRANGE', key('resolutions', c[1]), 0, q.resolutions_n - 1),
                           call('LRANGE', key('first_responses', c[1]), 0, q.resolutions_n - 1)}
  elseif c[3] > 0 or c[2] > 0 then
    r.opds[#r.opds + 1] = {c[1], c[2], false, false}  -- counted; resolution stats not read
  end
end

r.latest = {}
for _, id in ipairs(call('ZREVRANGE', key('latest_open'), 0, q.latest_n - 1)) do
  r.latest[#r.latest + 1] = {id, call('HMGET', key('complaint', id),
                                            'st', 'cat', 'pr', 'k', 'lat', 'lon', 't', 'txt', 'opd')}
end

-- Prices: the median across markets computed here (contract 3: the mean of the middle
-- two for an even count), so that thousands of markets cost a bounded answer: the
-- count, the median, the unit most markets use and the markets_n dearest.
local function median_of(vals)
  table.sort(vals)
  local n = #vals
  local med = vals[math.floor((n + 1) / 2)]
  if n % 2 == 0 then med = (vals[n / 2] + vals[n / 2 + 1]) / 2 end
  return med
end

-- A market's value is <ts>|<price>|<unit>[|<kecamatan>] (the kecamatan where the market
-- was placed, when it was). With top_n, also the median per kecamatan of its markets.
local function summary(flat, top_n)
  local vals, units, rows, by_kec = {}, {}, {}, {}
  for i = 2, #flat, 2 do
    local v = flat[i]
    local bar = string.find(v, '|', 1, true)
    local t, p, u, k = nil, nil, nil, nil
    if bar then
      local bar2 = string.find(v, '|', bar + 1, true)
      t = tonumber(string.sub(v, 1, bar - 1))
      p = tonumber(string.sub(v, bar + 1, (bar2 or 0) - 1))
      if bar2 and top_n then
        local bar3 = string.find(v, '|', bar2 + 1, true)
        u = string.sub(v, bar2 + 1, (bar3 or 0) - 1)
        if bar3 then k = string.sub(v, bar3 + 1) end
      end
    end
    if p then
      vals[#vals + 1] = p
      if top_n then rows[#rows + 1] = {flat[i - 1], p} end
      if u and u ~= '' then units[u] = (units[u] or 0) + 1 end
      if k and k ~= '' then
        local list = by_kec[k]
        if not list then list = {}; by_kec[k] = list end
        list[#list + 1] = p
      end
    end
  end
  if #vals == 0 then return {} end
  local n = #vals
  local out = {n = n, median = string.format('%.17g', median_of(vals))}
  if top_n then
    local kecs = {}
    for k, list in pairs(by_kec) do kecs[#kecs + 1] = {k, string.format('%.17g', median_of(list)), #list} end
    table.sort(kecs, function(a, b) return a[1] < b[1] end)
    out.by_kec = kecs
    local unit, best = nil, -1
    for u, c in pairs(units) do
      if c > best or (c == best and u < unit) then unit, best = u, c end
    end
    out.unit = unit
    table.sort(rows, function(a, b)
      if a[2] ~= b[2] then return a[2] > b[2] end
      return a[1] < b[1]
    end)
    local top = {}
    for i = 1, math.min(top_n, #rows) do top[i] = {rows[i][1], string.format('%.17g', rows[i][2])} end
    out.top = top
  end
  return out
end

r.prices, r.prices_week, r.prices_yesterday = {}, {}, {}
for i, c in ipairs(q.commodities) do
  r.prices[i] = summary(hall(key('price', c)), q.markets_n)
  r.prices_yesterday[i] = summary(hall(key('price_day', c, q.days.yesterday)))
  r.prices_week[i] = {}
  for j, d in ipairs(q.days.week) do  -- 7 days ago, else 6, else 8: the first with prices
    r.prices_week[i][j] = summary(hall(key('price_day', c, d)))
    if r.prices_week[i][j].n then break end
  end
end
r.tx_today = hall(key('tx_day', q.days.today))

r.d_totals = hall(key('disaster_totals'))
r.d_hazard = hall(key('active_by_hazard'))
r.d_kec = hall(key('active_by_kecamatan'))
-- Active incidents: all of them (contract 3 lists the active ones), ranked on two
-- fields (severity, then oldest first); only the incidents_n first with their
-- timelines (a Marvec addition), so that a thousand incidents cost one hash each.
local inc = {}
for _, id in ipairs(call('SMEMBERS', key('active_incidents'))) do
  local h = call('HMGET', key('incident', id), 'sev', 'first', 't')
  inc[#inc + 1] = {id, tonumber(h[1]) or 1, tonumber(h[2]) or tonumber(h[3]) or 0}
end
table.sort(inc, function(a, b)
  if a[2] ~= b[2] then return a[2] > b[2] end
  if a[3] ~= b[3] then return a[3] < b[3] end
  return a[1] < b[1]
end)
r.incidents = {}
for i, e in ipairs(inc) do
  local id = e[1]
  local tl = false
  if i <= q.incidents_n then tl = call('LRANGE', key('timeline', id), -q.timeline_n, -1) end
  r.incidents[#r.incidents + 1] = {id, hall(key('incident', id)), tl}
end

r.p_days = many('posts_day', q.days.last7)
r.p_topics = {}
for _, topic in ipairs(call('ZREVRANGE', key('awareness_topics'), 0, q.topics_n - 1)) do
  r.p_topics[#r.p_topics + 1] = {topic, hall(key('awareness', topic))}
end

r.minutes = many('minute_bucket', q.minutes)
r.hours = many('hour_bucket', q.hours)
r.g_minutes = many('gauge_minute', q.gauge_minutes)
r.g_hours = many('gauge_hour', q.gauge_hours)
r.ticker = call('LRANGE', key('ticker'), 0, q.ticker_n - 1)
r.clocks = hall(key('clocks'))
r.ops = {alerts = hall(key('alerts')), acks = hall(key('alert_acks')),
         level = hall(key('alert_level')), log = call('LRANGE', key('warroom_log'), 0, q.log_n - 1)}
r.bad_keys = bad
return cjson.encode(r)
