-- Allocates without end: on flows to port 1 in one huge string, on flows
-- to port 2 in a table of 1 MiB strings kept in a global, so the memory
-- stays used until the script is disabled and the plugin closed. Flows
-- to ports 3 and 4 allocate inside a coroutine (run by coroutine.wrap and
-- coroutine.resume), whose memory is freed when the hook returns. Each
-- failing line ends in a "fails:" comment, which the test looks up.
kept = {}

local function fill()
  local parts = {}
  local chunk = string.rep("c", 2 ^ 20)
  for i = 1, 1e9 do
    parts[#parts + 1] = chunk .. i -- fails: coroutine
  end
end

return {
  key = "hostile_membomb",
  hooks = {
    protocolDetected = function(flow, conf)
      if flow.server_port == 1 then
        local s = string.rep("x", 2 ^ 30) -- fails: huge string
        flow:setStatus("hostile_membomb_escaped", 100)
      elseif flow.server_port == 2 then
        local chunk = string.rep("y", 2 ^ 20)
        for i = 1, 1e9 do
          kept[#kept + 1] = chunk .. i -- fails: kept strings
        end
        flow:setStatus("hostile_membomb_escaped", 100)
      elseif flow.server_port == 3 then
        coroutine.wrap(fill)()
        flow:setStatus("hostile_membomb_escaped", 100)
      elseif flow.server_port == 4 then
        local ok, err = coroutine.resume(coroutine.create(fill))
        error(err, 0)
      end
    end,
  },
}
