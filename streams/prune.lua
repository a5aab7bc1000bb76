-- One bounded step of the expiry sweep (streams/expiry.py): markets silent past the
-- retention leave the price hashes; OPDs with no open complaint and no resolution within
-- the retention leave the OPD set, their resolutions and first-response lists with them. Atomic against
-- commit.lua (a script too): a batch planned from a price cell removed here fails that
-- cell's guard and is planned again; an OPD is judged on what Redis holds right now.
--
-- ARGV[1] key templates (JSON, marvec.keys.lua_templates)
-- ARGV[2] request (JSON): cutoff (event time: older is silent), budget (about how many
--         fields/members one call examines), commodities[], token ('' = no claim: a
--         rebuild), claim_s, need_epoch (true: do nothing while Redis holds no picture)
-- Returns JSON {status = ok | claimed | no_picture, markets, opds, examined, done}; done:
-- this call finished a sweep over every target (the next call starts a new one).

local q = cjson.decode(ARGV[2])
local out = {status = 'ok', markets = 0, opds = 0, examined = 0, done = false}

if q.need_epoch and not redis.call('HGET', key('meta'), 'epoch') then
  out.status = 'no_picture'
  return cjson.encode(out)
end
if q.token ~= '' then
  if not redis.call('SET', key('prune_claim'), q.token, 'NX', 'EX', q.claim_s) then
    if redis.call('GET', key('prune_claim')) ~= q.token then
      out.status = 'claimed'
      return cjson.encode(out)
    end
  end
end

local cutoff = q.cutoff
local targets = #q.commodities + 1  -- every commodity's price hash, then the OPD set

local function scan(cmd, k, cur, count)
  local res = redis.pcall(cmd, k, cur, 'COUNT', count)
  if type(res) == 'table' and res.err then return '0', {} end  -- a key of another type: skip
  return res[1], res[2]
end

local function del_fields(k, fields)
  for from = 1, #fields, 500 do
    redis.call('HDEL', k, unpack(fields, from, math.min(#fields, from + 499)))
  end
end

-- Whether an OPD is idle: none open, nothing due, every resolution older than the cutoff
-- (read newest first, page by page, stopping at the first recent one). Anything not
-- understood (a count that is not a number, a resolution without its time) keeps it.
-- Returns idle, how many list entries were read, the open count field as stored.
local function idle(opd)
  local stored = redis.call('HGET', key('open_by_opd'), opd)
  local open = tonumber(stored or '0')
  if open == nil or open > 0 then return false, 0, stored end
  if redis.call('ZCARD', key('due_by_opd', opd)) > 0 then return false, 0, stored end
  local rk, from, read = key('resolutions', opd), 0, 0
  while true do
    local page = redis.call('LRANGE', rk, from, from + 49)
    if #page == 0 then break end
    read = read + #page
    for _, e in ipairs(page) do
      local ts = tonumber(string.match(e, '^[^|]*|[^|]*|([^|]+)$'))
      if ts == nil or ts >= cutoff then return false, read, stored end
    end
    from = from + 50
  end
  return true, read, stored
end

local st = redis.call('HMGET', key('prune_cursor'), 'target', 'cursor')
local t, cur = tonumber(st[1]) or 1, st[2] or '0'
if t < 1 or t > targets then t, cur = 1, '0' end
local budget = q.budget
while budget > 0 do
  if t <= #q.commodities then
    local hk = key('price', q.commodities[t])
    local flat
    cur, flat = scan('HSCAN', hk, cur, budget)
    local gone = {}
    for i = 1, #flat, 2 do
      local v = flat[i + 1]
      local bar = string.find(v, '|', 1, true)
      local ts = bar and tonumber(string.sub(v, 1, bar - 1))
      if ts and ts < cutoff then gone[#gone + 1] = flat[i] end
    end
    if #gone > 0 then del_fields(hk, gone) end
    out.examined = out.examined + #flat / 2
    out.markets = out.markets + #gone
    budget = budget - math.max(1, #flat / 2)
  else
    local members
    cur, members = scan('SSCAN', key('opds'), cur, budget)
    local cost = 0
    for _, opd in ipairs(members) do
      local yes, read, stored = idle(opd)
      cost = cost + 1 + math.floor(read / 50)
      if yes then
        redis.call('SREM', key('opds'), opd)
        redis.call('DEL', key('resolutions', opd), key('first_responses', opd))
        if stored == '0' then redis.call('HDEL', key('open_by_opd'), opd) end
        out.opds = out.opds + 1
      end
    end
    out.examined = out.examined + #members
    budget = budget - math.max(1, cost)
  end
  if cur == '0' then
    t = t + 1
    if t > targets then
      t, out.done = 1, true
      break
    end
  end
end
redis.call('HSET', key('prune_cursor'), 'target', t, 'cursor', cur)
return cjson.encode(out)
