-- Allocates without end: on flows to port 1 in one huge string, on flows
-- to port 2 in a table of 1 MiB strings kept in a global, so the memory
-- stays used until the script is disabled and the plugin closed.
kept = {}
return {
  key = "hostile_membomb",
  hooks = {
    protocolDetected = function(flow, conf)
      if flow.server_port == 1 then
        local s = string.rep("x", 2 ^ 30)
        flow:setStatus("hostile_membomb_escaped", 100)
      elseif flow.server_port == 2 then
        local chunk = string.rep("y", 2 ^ 20)
        for i = 1, 1e9 do
          kept[#kept + 1] = chunk .. i
        end
        flow:setStatus("hostile_membomb_escaped", 100)
      end
    end,
  },
}
