-- Engaged while a host had more of its ports probed in a minute than the
-- threshold.
return {
  key = "syn_scan_victim",
  title = "SYN scan victim",
  description = "The host had more of its ports probed in a minute than the " ..
    "threshold; released after a quiet minute",
  severity = "warning",
}
