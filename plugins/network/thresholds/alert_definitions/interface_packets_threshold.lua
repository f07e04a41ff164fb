-- Engaged while the interface script interface_packets_threshold finds
-- its metric (packets an interface received in a minute) past the
-- threshold.
return {
  key = "interface_packets_threshold",
  title = "Interface packets threshold crossed",
  description = "Packets an interface received in a minute, past the " ..
    "configured threshold; released after a minute back " ..
    "within it",
  severity = "warning",
}
