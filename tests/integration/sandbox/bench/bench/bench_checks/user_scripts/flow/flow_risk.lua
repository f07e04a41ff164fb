-- Flows nDPI flagged with a risk.
return {
  key = "bench_flow_risk",
  hooks = {
    protocolDetected = function(flow, conf)
      local risks = flow.risks
      if #risks > 0 then
        flow:setStatus("bench_flow_risk", 10 * #risks)
      end
    end,
  },
}
