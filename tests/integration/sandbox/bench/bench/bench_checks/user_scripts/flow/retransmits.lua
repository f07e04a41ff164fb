-- TCP flows that retransmit more than a tenth of their packets.
return {
  key = "bench_retransmits",
  filter = { l4 = { "TCP" } },
  default_value = { threshold = 0.1, operator = "gt" },
  hooks = {
    protocolDetected = function(flow, conf)
      local packets = flow.packets
      if packets > 0 and vigil.exceeds(flow.retransmissions / packets, conf) then
        flow:setStatus("bench_retransmits")
      end
    end,
  },
}
