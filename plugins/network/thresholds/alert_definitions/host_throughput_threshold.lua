-- Engaged while the host script host_throughput_threshold finds its
-- metric (a host's average throughput over a minute, both directions)
-- past the threshold.
return {
  key = "host_throughput_threshold",
  title = "Host throughput threshold crossed",
  description = "A host's average throughput over a minute, both " ..
    "directions, past the configured threshold; released " ..
    "after a minute back within it",
  severity = "warning",
}
