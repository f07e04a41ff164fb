return { key = "dup_alert", title = "One", severity = "info" }
