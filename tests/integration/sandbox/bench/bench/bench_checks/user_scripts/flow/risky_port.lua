-- Flows to services that should not be reachable.
local risky = { [23] = true, [445] = true, [3389] = true }
return {
  key = "bench_risky_port",
  hooks = {
    protocolDetected = function(flow, conf)
      if risky[flow.server_port] and not flow.server_local then
        flow:setStatus("bench_risky_port")
      end
    end,
  },
}
