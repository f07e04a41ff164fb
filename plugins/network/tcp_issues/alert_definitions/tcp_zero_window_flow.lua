-- Raised with the status tcp_zero_window.
return {
  key = "tcp_zero_window_flow",
  title = "TCP zero window",
  description = "A receiver advertised a zero window at least the " ..
    "configured number of times",
  severity = "notice",
}
