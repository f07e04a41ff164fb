-- Network throughput: a local network's average throughput over a minute,
-- inside traffic included.
local threshold = require("threshold")

local function counter(net)
  return net.bytes_in + net.bytes_out + net.bytes_inside
end

return threshold.script({
  key = "network_throughput_threshold",
  kind = "network",
  title = "Network throughput",
  description = "A local network's average throughput over a minute, " ..
    "inside traffic included",
  unit = "bit/s",
  threshold = 1000000000,
  metric = threshold.growth(counter, false, true),
})
