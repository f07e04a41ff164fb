-- A well-behaved plugin that runs beside each hostile one: it marks every
-- flow it sees, so a test can tell the sandbox kept serving it.
return { title = "Good marker", description = "Marks every flow", version = "1" }
