-- Raised with the status tcp_retransmissions_high.
return {
  key = "tcp_retransmissions_high_flow",
  title = "Many TCP retransmissions",
  description = "More than the configured share of the flow's packets " ..
    "were retransmitted",
  severity = "notice",
}
