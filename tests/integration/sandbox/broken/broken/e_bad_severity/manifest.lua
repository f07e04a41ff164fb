return { title = "Bad severity" }
