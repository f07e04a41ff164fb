-- Hostile plugin: loop.
return { title = "Hostile loop" }
