-- Host traffic: bytes a host sent and received in a minute.
local threshold = require("threshold")

local function counter(host)
  return host.bytes_sent + host.bytes_rcvd
end

return threshold.script({
  key = "host_bytes_threshold",
  kind = "host",
  title = "Host traffic",
  description = "Bytes a host sent and received in a minute",
  unit = "bytes",
  threshold = 1000000000,
  metric = threshold.growth(counter, true, false),
})
