return { key = "h_status", title = "H", score = 3, alert = "z_alert" }
