-- A local network that receives more new flows from outside a minute
-- than the threshold. Reads network.flows_in, which stays 0 until vigild
-- counts flows per local network.
local flood = require("flood")

return {
  key = "flow_flood_network_victim",
  title = "Flow flood against a network",
  description = "Local networks that receive more flows from outside a " ..
    "minute than the threshold",
  category = "security",
  default_value = {
    enabled = true,
    threshold = 10000,   -- new flows from outside, per minute
    operator = "gt",
    score = 50,
  },
  hooks = {
    min = flood.hook("flow_flood_network_victim",
      function(network) return network.flows_in end),
  },
}
