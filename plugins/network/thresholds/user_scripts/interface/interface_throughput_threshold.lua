-- Interface throughput: an interface's average throughput over a minute.
local threshold = require("threshold")

local function counter(iface)
  return iface.bytes
end

return threshold.script({
  key = "interface_throughput_threshold",
  kind = "interface",
  title = "Interface throughput",
  description = "An interface's average throughput over a minute",
  unit = "bit/s",
  threshold = 10000000000,
  metric = threshold.growth(counter, false, true),
})
