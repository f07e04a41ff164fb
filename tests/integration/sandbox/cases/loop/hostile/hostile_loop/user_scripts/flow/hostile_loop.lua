-- Spins forever in a flow hook, on flows to port 443 only. With the JIT
-- off the hook budget stops it. With the JIT on, the compiled loop never
-- checks the budget, and only killing the process stops it.
return {
  key = "hostile_loop",
  hooks = {
    protocolDetected = function(flow, conf)
      if flow.server_port == 443 then
        local i = 0
        while true do
          i = i + 1
        end
      end
    end,
  },
}
