-- Five flow scripts of the kind vigil bundles, for the events-per-second
-- benchmark: each reads a few fields of every flow and sets a status on
-- the few that match.
return { title = "Benchmark checks", version = "1" }
