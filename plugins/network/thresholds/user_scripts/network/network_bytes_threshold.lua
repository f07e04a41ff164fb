-- Network traffic: bytes a local network sent and received in a minute,
-- inside traffic included.
local threshold = require("threshold")

local function counter(net)
  return net.bytes_in + net.bytes_out + net.bytes_inside
end

return threshold.script({
  key = "network_bytes_threshold",
  kind = "network",
  title = "Network traffic",
  description = "Bytes a local network sent and received in a minute, " ..
    "inside traffic included",
  unit = "bytes",
  threshold = 10000000000,
  metric = threshold.growth(counter, false, false),
})
