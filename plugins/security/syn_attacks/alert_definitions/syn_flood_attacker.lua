-- Engaged while a host sent more unanswered SYNs in a minute than the
-- threshold.
return {
  key = "syn_flood_attacker",
  title = "SYN flood attacker",
  description = "The host sent more unanswered SYNs in a minute than the " ..
    "threshold; released after a quiet minute",
  severity = "error",
}
