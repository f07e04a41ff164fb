-- Engaged while the host script host_dns_threshold finds its metric
-- (bytes of a host's DNS flows in a minute) past the threshold.
return {
  key = "host_dns_threshold",
  title = "Host DNS traffic threshold crossed",
  description = "Bytes of a host's DNS flows in a minute, past the " ..
    "configured threshold; released after a minute back " ..
    "within it",
  severity = "warning",
}
