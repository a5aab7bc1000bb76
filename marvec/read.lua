-- Read everything a snapshot needs in one round trip; returns one JSON document of
-- raw values that marvec.store turns into the typed Snapshot.
--
-- ARGV[1] key templates (JSON, marvec.keys.lua_templates)
-- ARGV[2] request (JSON): now, feeds[], commodities[], days{today, yesterday, week[]},
--         minutes[], hours[], gauge_minutes[], gauge_hours[], yesterday_minute,
--         yesterday_hour, latest_n, ticker_n, resolutions_n, timeline_n

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

r.opds = {}
for _, opd in ipairs(call('SMEMBERS', key('opds'))) do
  r.opds[#r.opds + 1] = {opd, call('ZCOUNT', key('due_by_opd', opd), '-inf', now_ex),
                         call('LRANGE', key('resolutions', opd), 0, q.resolutions_n - 1)}
end

r.latest = {}
for _, id in ipairs(call('ZREVRANGE', key('latest_open'), 0, q.latest_n - 1)) do
  r.latest[#r.latest + 1] = {id, call('HMGET', key('complaint', id),
                                            'st', 'cat', 'pr', 'k', 'lat', 'lon', 't', 'txt', 'opd')}
end

r.prices, r.prices_week, r.prices_yesterday = {}, {}, {}
for i, c in ipairs(q.commodities) do
  r.prices[i] = hall(key('price', c))
  r.prices_yesterday[i] = hall(key('price_day', c, q.days.yesterday))
  r.prices_week[i] = {}
  for j, d in ipairs(q.days.week) do r.prices_week[i][j] = hall(key('price_day', c, d)) end
end
r.tx_today = hall(key('tx_day', q.days.today))

r.d_totals = hall(key('disaster_totals'))
r.d_hazard = hall(key('active_by_hazard'))
r.d_kec = hall(key('active_by_kecamatan'))
r.incidents = {}
for _, id in ipairs(call('SMEMBERS', key('active_incidents'))) do
  r.incidents[#r.incidents + 1] = {id, hall(key('incident', id)),
                                   call('LRANGE', key('timeline', id), -q.timeline_n, -1)}
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
r.bad_keys = bad
return cjson.encode(r)
