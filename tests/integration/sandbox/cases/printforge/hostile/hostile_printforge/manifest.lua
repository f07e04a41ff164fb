-- Hostile plugin: print() text that would forge a log line.
return { title = "Hostile print" }
