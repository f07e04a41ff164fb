-- Hostile plugin: osexec.
return { title = "Hostile osexec" }
