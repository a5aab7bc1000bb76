-- keys.lua: prepended to Marvec's scripts (marvec/scripts.py). ARGV[1] holds the key
-- templates from marvec.keys.lua_templates, '%s' where an argument goes. Keys are joined
-- with `..`, which keeps every byte of an id (string.format would cut it at a NUL byte).
local K = cjson.decode(ARGV[1])
local P = {}
for name, tpl in pairs(K) do
  local parts, from = {}, 1
  while true do
    local i = string.find(tpl, '%s', from, true)
    if not i then parts[#parts + 1] = string.sub(tpl, from); break end
    parts[#parts + 1] = string.sub(tpl, from, i - 1)
    from = i + 2
  end
  P[name] = parts
end

local function key(name, a, b)
  local p = P[name]
  if b ~= nil then return p[1] .. a .. p[2] .. b .. p[3] end
  if a ~= nil then return p[1] .. a .. p[2] end
  return p[1]
end
