-- Host throughput: a host's average throughput over a minute, both
-- directions.
local threshold = require("threshold")

local function counter(host)
  return host.bytes_sent + host.bytes_rcvd
end

return threshold.script({
  key = "host_throughput_threshold",
  kind = "host",
  title = "Host throughput",
  description = "A host's average throughput over a minute, both " ..
    "directions",
  unit = "bit/s",
  threshold = 100000000,
  metric = threshold.growth(counter, true, true),
})
