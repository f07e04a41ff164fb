-- Engaged while a local host's bytes_sent is over the threshold.
return {
  key = "example_host_upload",
  title = "Host sent more than the threshold",
  description = "bytes_sent of a local host went over the configured " ..
    "threshold; released once it is back under",
  severity = "notice",
}
