-- Set by tcp_issues: many out-of-order TCP segments.
return {
  key = "tcp_out_of_order_high",
  title = "Many out-of-order TCP segments",
  description = "More than the configured share of the flow's packets " ..
    "arrived out of order",
  alert = "tcp_out_of_order_high_flow",
  score = 10,
}
