-- Engaged while a local network receives more flows a minute than the
-- threshold.
return {
  key = "flow_flood_network_victim",
  title = "Flow flood against a network",
  description = "The local network received more new flows from outside " ..
    "in a minute than the threshold",
  severity = "error",
}
