-- Flows whose client sent more than the threshold.
return {
  key = "bench_big_upload",
  default_value = { threshold = 100000000, operator = "gt" },
  hooks = {
    protocolDetected = function(flow, conf)
      if vigil.exceeds(flow.c2s_bytes, conf) then
        flow:setStatus("bench_big_upload")
      end
    end,
  },
}
