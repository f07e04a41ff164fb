-- Recurses without end: in Lua on port 1, through a C metamethod on
-- port 2, through coroutines on port 3.
local function deep(n)
  return deep(n + 1) + 1
end
local loop = setmetatable({}, {})
getmetatable(loop).__index = function(t, k) return t[k] end
local function nest(n)
  return coroutine.wrap(function() return nest(n + 1)() end)()
end
return {
  key = "hostile_recursion",
  hooks = {
    protocolDetected = function(flow, conf)
      if flow.server_port == 1 then
        deep(1)
      elseif flow.server_port == 2 then
        local x = loop.anything
      elseif flow.server_port == 3 then
        nest(1)
      end
      flow:setStatus("hostile_recursion_escaped", 100)
    end,
  },
}
