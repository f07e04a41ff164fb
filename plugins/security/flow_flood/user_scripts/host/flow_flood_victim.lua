-- A host that receives more new flows a minute than the threshold.
local flood = require("flood")

return {
  key = "flow_flood_victim",
  title = "Flow flood victim",
  description = "Hosts that receive more flows a minute than the threshold",
  category = "security",
  default_value = {
    enabled = true,
    threshold = 3000,    -- new flows as server, per minute
    operator = "gt",
    score = 50,
  },
  hooks = {
    min = flood.hook("flow_flood_victim",
      function(host) return host.total_flows_as_server end,
      function(host) return host.first_seen end),
  },
}
