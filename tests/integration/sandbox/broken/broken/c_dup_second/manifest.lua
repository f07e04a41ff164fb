return { title = "Defines dup_alert again" }
