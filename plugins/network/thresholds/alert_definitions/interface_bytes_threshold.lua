-- Engaged while the interface script interface_bytes_threshold finds its
-- metric (bytes an interface received in a minute) past the threshold.
return {
  key = "interface_bytes_threshold",
  title = "Interface traffic threshold crossed",
  description = "Bytes an interface received in a minute, past the " ..
    "configured threshold; released after a minute back " ..
    "within it",
  severity = "warning",
}
