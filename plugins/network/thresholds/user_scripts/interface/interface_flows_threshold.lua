-- Interface flows: flows active on an interface at the minute's end.
local threshold = require("threshold")

return threshold.script({
  key = "interface_flows_threshold",
  kind = "interface",
  title = "Interface flows",
  description = "flows active on an interface at the minute's end",
  unit = "flows",
  threshold = 1000000,
  metric = function(iface)
    return iface.active_flows
  end,
})
