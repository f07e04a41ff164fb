-- Raised with the status tcp_out_of_order_high.
return {
  key = "tcp_out_of_order_high_flow",
  title = "Many out-of-order TCP segments",
  description = "More than the configured share of the flow's packets " ..
    "arrived out of order",
  severity = "notice",
}
