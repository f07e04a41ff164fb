-- A host that opens more new flows a minute than the threshold, as a
-- worm, a scanner or a flooding tool does.
local flood = require("flood")

return {
  key = "flow_flood_attacker",
  title = "Flow flood attacker",
  description = "Hosts that open more flows a minute than the threshold",
  category = "security",
  default_value = {
    enabled = true,
    threshold = 3000,    -- new flows as client, per minute
    operator = "gt",
    score = 100,
  },
  hooks = {
    min = flood.hook("flow_flood_attacker",
      function(host) return host.total_flows_as_client end,
      function(host) return host.first_seen end),
  },
}
