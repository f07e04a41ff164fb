-- Plugins the supervisor turned off.
return {
  title = "Disabled plugins",
  description = "Alerts while vigild's supervisor keeps a plugin out of " ..
    "a sandbox",
  author = "vigil",
  version = "1.0",
  dependencies = {},
}
