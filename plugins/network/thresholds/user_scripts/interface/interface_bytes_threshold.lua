-- Interface traffic: bytes an interface received in a minute.
local threshold = require("threshold")

local function counter(iface)
  return iface.bytes
end

return threshold.script({
  key = "interface_bytes_threshold",
  kind = "interface",
  title = "Interface traffic",
  description = "Bytes an interface received in a minute",
  unit = "bytes",
  threshold = 100000000000,
  metric = threshold.growth(counter, false, false),
})
