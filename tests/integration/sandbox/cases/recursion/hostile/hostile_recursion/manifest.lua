-- Hostile plugin: recursion.
return { title = "Hostile recursion" }
