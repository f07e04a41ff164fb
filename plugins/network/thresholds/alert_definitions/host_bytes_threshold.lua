-- Engaged while the host script host_bytes_threshold finds its metric
-- (bytes a host sent and received in a minute) past the threshold.
return {
  key = "host_bytes_threshold",
  title = "Host traffic threshold crossed",
  description = "Bytes a host sent and received in a minute, past the " ..
    "configured threshold; released after a minute back " ..
    "within it",
  severity = "warning",
}
