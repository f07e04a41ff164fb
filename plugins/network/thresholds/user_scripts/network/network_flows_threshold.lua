-- Network flows: flows into and out of a local network in a minute.
local threshold = require("threshold")

local function counter(net)
  return net.flows_in + net.flows_out
end

return threshold.script({
  key = "network_flows_threshold",
  kind = "network",
  title = "Network flows",
  description = "Flows into and out of a local network in a minute",
  unit = "flows",
  threshold = 100000,
  metric = threshold.growth(counter, false, false),
})
