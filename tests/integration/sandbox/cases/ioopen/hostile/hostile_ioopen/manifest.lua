-- Hostile plugin: ioopen.
return { title = "Hostile ioopen" }
