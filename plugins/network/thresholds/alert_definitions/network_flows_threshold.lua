-- Engaged while the network script network_flows_threshold finds its
-- metric (flows into and out of a local network in a minute) past the
-- threshold.
return {
  key = "network_flows_threshold",
  title = "Network flows threshold crossed",
  description = "Flows into and out of a local network in a minute, past " ..
    "the configured threshold; released after a minute back " ..
    "within it",
  severity = "warning",
}
