-- Engaged while a host probed more ports in a minute than the threshold.
return {
  key = "syn_scan_attacker",
  title = "SYN scan attacker",
  description = "The host probed more ports in a minute than the threshold; " ..
    "released after a quiet minute",
  severity = "error",
}
