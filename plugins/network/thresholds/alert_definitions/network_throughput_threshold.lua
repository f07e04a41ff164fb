-- Engaged while the network script network_throughput_threshold finds its
-- metric (a local network's average throughput over a minute, inside
-- traffic included) past the threshold.
return {
  key = "network_throughput_threshold",
  title = "Network throughput threshold crossed",
  description = "A local network's average throughput over a minute, " ..
    "inside traffic included, past the configured threshold; " ..
    "released after a minute back within it",
  severity = "warning",
}
