-- Engaged by the script interface_flows_threshold.
return {
  key = "interface_flows_threshold",
  title = "Interface flows threshold crossed",
  description = "Flows active on an interface past the configured " ..
    "threshold",
  severity = "warning",
}
