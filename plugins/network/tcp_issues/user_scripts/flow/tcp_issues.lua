-- TCP connection issues on a flow: many retransmissions or out-of-order
-- segments for its size, zero-window advertisements (a receiver that
-- cannot keep up), and handshakes that never completed. Each issue is its
-- own status, so a flow shows which ones it had.
--
-- Ratios are over the flow's packets in both directions, and are judged
-- only on flows of at least conf.min_packets, so a short flow with one
-- resent segment is not flagged.
--
-- On a live port vigild writes a flow's record without waiting for its
-- flowEnd results, so there an issue first seen at the end (a short flow,
-- an unfinished handshake) reaches the flow alert but not the record's
-- statuses. Longer flows are judged at each periodicUpdate too.
local SYN, RST, ACK = 0x02, 0x04, 0x10

local function has(flags, value)
  return bit.band(flags, value) ~= 0
end

-- The client's SYN got no SYN-ACK, or the client never acknowledged the
-- SYN-ACK it got. A SYN the server refused with a reset is a closed
-- port, not a connection issue: a port scan gets one per probe, which
-- the syn_scan script reports once for the whole scan.
local function handshake_incomplete(flow)
  local c2s, s2c = flow.c2s_tcp_flags, flow.s2c_tcp_flags
  if not has(c2s, SYN) then
    return false  -- the handshake happened before the capture started
  end
  if has(s2c, RST) and not has(s2c, SYN) then
    return false
  end
  return not has(s2c, SYN) or not has(c2s, ACK)
end

local function check(flow, conf)
  local packets = flow.packets
  if packets >= conf.min_packets then
    if flow.retransmissions / packets > conf.retransmission_ratio then
      flow:setStatus("tcp_retransmissions_high")
    end
    if flow.out_of_order / packets > conf.out_of_order_ratio then
      flow:setStatus("tcp_out_of_order_high")
    end
  end
  if flow.zero_windows >= conf.zero_windows then
    flow:setStatus("tcp_zero_window")
  end
  if flow.hook == "flowEnd" and handshake_incomplete(flow) then
    flow:setStatus("tcp_handshake_incomplete")
  end
end

return {
  key = "tcp_issues",
  title = "TCP connection issues",
  description = "Retransmissions, out-of-order segments, zero windows " ..
    "and handshakes that never completed",
  category = "network",
  filter = { l4 = { "TCP" } },
  default_value = {
    enabled = true,
    min_packets = 10,             -- flows shorter than this are not rated
    retransmission_ratio = 0.1,   -- retransmitted / all packets
    out_of_order_ratio = 0.1,
    zero_windows = 3,             -- zero-window segments
  },
  hooks = {
    protocolDetected = check,
    periodicUpdate = check,
    flowEnd = check,
  },
}
