-- Hostile plugin: alertflood.
return { title = "Hostile alertflood" }
