-- Once a minute: releases host threshold alerts of hosts that were idle
-- all minute, and raises host_idle_threshold for local hosts silent for
-- longer than its threshold.
--
-- NOTE: a host is watched for idleness from its first min hook in this
-- sandbox. A host silent since before a sandbox restart gets no min hook,
-- so this sandbox does not know it and raises no host_idle_threshold.
local threshold = require("threshold")

local function check_idle(now)
  local idle = threshold.idle
  if idle == nil or idle.conf == nil then
    return
  end
  for key, last in pairs(idle.last_seen) do
    threshold.check_idle(key, last, now)
  end
end

return {
  key = "thresholds_minute",
  title = "Threshold releases and idle hosts",
  description = "Releases alerts of idle hosts and raises host idle alerts",
  category = "network",
  hooks = {
    min = function(system, conf)
      local now = vigil.time()
      threshold.release_quiet(now)
      check_idle(now)
    end,
  },
}
