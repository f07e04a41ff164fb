return { key = "z_alert", title = "Z", severity = "error" }
