-- SYN floods and SYN scans, from both ends.
return {
  title = "SYN flood and scan",
  description = "Alerts on hosts that send or receive SYN floods and on " ..
    "hosts that scan, or are scanned, with SYN probes",
  author = "vigil",
  version = "1.0",
  dependencies = {},
}
