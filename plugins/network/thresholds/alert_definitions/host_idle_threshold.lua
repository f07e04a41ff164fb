-- Engaged by the script host_idle_threshold.
return {
  key = "host_idle_threshold",
  title = "Host idle",
  description = "A local host sent and received nothing for longer than " ..
    "the threshold; released when it is active again",
  severity = "warning",
}
