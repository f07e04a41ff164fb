-- Engaged while the interface script interface_throughput_threshold finds
-- its metric (an interface's average throughput over a minute) past the
-- threshold.
return {
  key = "interface_throughput_threshold",
  title = "Interface throughput threshold crossed",
  description = "An interface's average throughput over a minute, past " ..
    "the configured threshold; released after a minute back " ..
    "within it",
  severity = "warning",
}
