-- Hostile plugin: bytecode.
return { title = "Hostile bytecode" }
