return { key = "hostile_flood", title = "Flood", severity = "info" }
