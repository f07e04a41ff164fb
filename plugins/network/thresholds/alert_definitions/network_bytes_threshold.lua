-- Engaged while the network script network_bytes_threshold finds its
-- metric (bytes a local network sent and received in a minute, inside
-- traffic included) past the threshold.
return {
  key = "network_bytes_threshold",
  title = "Network traffic threshold crossed",
  description = "Bytes a local network sent and received in a minute, " ..
    "inside traffic included, past the configured threshold; " ..
    "released after a minute back within it",
  severity = "warning",
}
