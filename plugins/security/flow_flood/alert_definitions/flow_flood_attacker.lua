-- Engaged while a host opens more flows a minute than the threshold.
return {
  key = "flow_flood_attacker",
  title = "Flow flood attacker",
  description = "The host opened more new flows in a minute than the " ..
    "threshold; released after a minute under it",
  severity = "error",
}
