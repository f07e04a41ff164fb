-- Recurses without end, one way per server port: in Lua (1), through a C
-- metamethod (2), and through library functions that re-enter Lua from
-- C: coroutine.wrap (3), coroutine.resume (4), string.gsub with a
-- function (5) and with a table whose __index recurses (6), and tostring
-- calling itself through __tostring as a tail call (7). LuaJIT
-- 2.1.0-beta3 itself checks only the first two; 3 to 6 overflow the C
-- stack of an unguarded process, and 7 never ends.
local function deep(n)
  return deep(n + 1) + 1
end
local loop = setmetatable({}, {})
getmetatable(loop).__index = function(t, k) return t[k] end
local function nest_wrap(n)
  return coroutine.wrap(function() return nest_wrap(n + 1) end)()
end
local function nest_resume(n)
  local co = coroutine.create(function() return nest_resume(n + 1) end)
  local ok, err = coroutine.resume(co)
  if not ok then error(err, 0) end
end
local function nest_gsub(s)
  return (s:gsub(".", function(c) return nest_gsub(s) end))
end
local function nest_gsub_table(s)
  local t = setmetatable({}, { __index = function() return nest_gsub_table(s) end })
  return (s:gsub(".", t))
end
local ways = { deep, function() return loop.anything end, nest_wrap,
  nest_resume, function() return nest_gsub("x") end,
  function() return nest_gsub_table("x") end,
  function()
    local t = setmetatable({}, { __tostring = function(t) return tostring(t) end })
    return tostring(t)
  end }
return {
  key = "hostile_recursion",
  hooks = {
    protocolDetected = function(flow, conf)
      ways[flow.server_port](1)
      flow:setStatus("hostile_recursion_escaped", 100)
    end,
  },
}
