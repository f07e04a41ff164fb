-- Engaged while the host script host_packets_threshold finds its metric
-- (packets a host sent and received in a minute) past the threshold.
return {
  key = "host_packets_threshold",
  title = "Host packets threshold crossed",
  description = "Packets a host sent and received in a minute, past the " ..
    "configured threshold; released after a minute back " ..
    "within it",
  severity = "warning",
}
