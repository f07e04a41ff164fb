-- Hostile plugin: membomb_load.
return { title = "Hostile membomb at load" }
