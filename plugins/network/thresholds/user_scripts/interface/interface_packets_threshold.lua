-- Interface packets: packets an interface received in a minute.
local threshold = require("threshold")

local function counter(iface)
  return iface.packets
end

return threshold.script({
  key = "interface_packets_threshold",
  kind = "interface",
  title = "Interface packets",
  description = "Packets an interface received in a minute",
  unit = "packets",
  threshold = 100000000,
  metric = threshold.growth(counter, false, false),
})
