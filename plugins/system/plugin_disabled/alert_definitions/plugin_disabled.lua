-- Engaged while the supervisor keeps a plugin out of a sandbox.
return {
  key = "plugin_disabled",
  title = "Plugin disabled",
  description = "vigild's supervisor disabled a plugin whose script " ..
    "kept overrunning the batch deadline; reload vigild once it is fixed",
  severity = "error",
}
