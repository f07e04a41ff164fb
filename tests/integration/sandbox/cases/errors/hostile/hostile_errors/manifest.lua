-- Hostile plugin: errors from every hook.
return { title = "Hostile errors" }
