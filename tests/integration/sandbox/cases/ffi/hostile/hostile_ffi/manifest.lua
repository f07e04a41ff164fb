-- Hostile plugin: ffi.
return { title = "Hostile ffi" }
