-- Hostile plugin: pcall_loop.
return { title = "Hostile pcall_loop" }
