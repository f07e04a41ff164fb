-- Engaged while a host receives more flows a minute than the threshold.
return {
  key = "flow_flood_victim",
  title = "Flow flood victim",
  description = "The host received more new flows in a minute than the " ..
    "threshold; released after a minute under it",
  severity = "error",
}
