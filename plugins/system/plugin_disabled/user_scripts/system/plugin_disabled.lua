-- Plugins vigild's supervisor left out of this sandbox after one of their
-- scripts overran the batch deadline three times in a row. The sandbox
-- was restarted without them (--disable), so their checks no longer run
-- until the next reload, which clears the list. One alert per plugin,
-- with the plugin's name as the value.
--
-- NOTE: a script the sandbox itself disabled after ten errors in a row is
-- reported as a PluginError and in the log, not here.
local engaged = {}

return {
  key = "plugin_disabled",
  title = "Disabled plugins",
  description = "Plugins the supervisor disabled for overrunning deadlines",
  category = "system",
  default_value = {
    enabled = true,
    score = 50,
  },
  hooks = {
    min = function(system, conf)
      local now = {}
      for _, name in ipairs(system.plugins_disabled) do
        now[name] = true
        if not engaged[name] then
          alerts.trigger("plugin_disabled", {
            entity = "system",
            value = name,
            score = conf.score,
            details = { plugin = name },
          })
          engaged[name] = true
        end
      end
      for name in pairs(engaged) do
        if not now[name] then
          alerts.release("plugin_disabled", { entity = "system",
                                              value = name })
          engaged[name] = nil
        end
      end
    end,
  },
}
