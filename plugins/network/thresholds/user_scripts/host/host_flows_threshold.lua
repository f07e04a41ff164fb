-- Host flows: flows a host opened or accepted in a minute.
local threshold = require("threshold")

local function counter(host)
  return host.total_flows_as_client + host.total_flows_as_server
end

return threshold.script({
  key = "host_flows_threshold",
  kind = "host",
  title = "Host flows",
  description = "Flows a host opened or accepted in a minute",
  unit = "flows",
  threshold = 10000,
  metric = threshold.growth(counter, true, false),
})
