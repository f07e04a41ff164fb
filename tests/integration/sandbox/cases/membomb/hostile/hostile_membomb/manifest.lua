-- Hostile plugin: membomb.
return { title = "Hostile membomb" }
