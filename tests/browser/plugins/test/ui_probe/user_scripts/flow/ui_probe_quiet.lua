-- A script its default_value disables: the plugins page must show it as
-- disabled by the script's default.
return {
  key = "ui_probe_quiet",
  title = "Disabled by default",
  default_value = { enabled = false },
  hooks = {
    protocolDetected = function(flow, conf) end,
  },
}
