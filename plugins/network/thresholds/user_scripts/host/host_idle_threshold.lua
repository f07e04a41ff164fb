-- Host idle: a local host that sent and received nothing for longer than
-- the threshold, in seconds. Alerts on a server or sensor that stopped.
-- vigild sends min hooks only for active hosts, so this hook records when
-- each local host was last seen and judges it, and the plugin's system
-- script judges the hosts that had no hook.
local threshold = require("threshold")

threshold.idle = { last_seen = {}, conf = nil }

return {
  key = "host_idle_threshold",
  title = "Host idle",
  description = "Local hosts silent for longer than the threshold",
  category = "network",
  local_only = true,
  default_value = {
    enabled = false,
    threshold = 600,     -- seconds without traffic
    operator = "gt",
    score = 10,
  },
  hooks = {
    min = function(host, conf)
      threshold.idle.conf = conf
      threshold.idle.last_seen[host.key] = host.last_seen
      threshold.check_idle(host.key, host.last_seen, vigil.time())
    end,
  },
}
