-- Set by tcp_issues: tCP zero window.
return {
  key = "tcp_zero_window",
  title = "TCP zero window",
  description = "A receiver advertised a zero window at least the " ..
    "configured number of times",
  alert = "tcp_zero_window_flow",
  score = 10,
}
