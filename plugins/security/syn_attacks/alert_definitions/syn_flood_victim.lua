-- Engaged while a host received more unanswered SYNs in a minute than the
-- threshold.
return {
  key = "syn_flood_victim",
  title = "SYN flood victim",
  description = "The host received more unanswered SYNs in a minute than the " ..
    "threshold; released after a quiet minute",
  severity = "error",
}
