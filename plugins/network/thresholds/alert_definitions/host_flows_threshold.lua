-- Engaged while the host script host_flows_threshold finds its metric
-- (flows a host opened or accepted in a minute) past the threshold.
return {
  key = "host_flows_threshold",
  title = "Host flows threshold crossed",
  description = "Flows a host opened or accepted in a minute, past the " ..
    "configured threshold; released after a minute back " ..
    "within it",
  severity = "warning",
}
