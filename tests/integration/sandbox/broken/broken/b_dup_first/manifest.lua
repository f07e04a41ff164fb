return { title = "Defines dup_alert first" }
