-- Set by tcp_issues: many TCP retransmissions.
return {
  key = "tcp_retransmissions_high",
  title = "Many TCP retransmissions",
  description = "More than the configured share of the flow's packets " ..
    "were retransmitted",
  alert = "tcp_retransmissions_high_flow",
  score = 20,
}
