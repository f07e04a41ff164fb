return { key = "good_seen", title = "Seen by the good plugin", score = 1 }
