-- Host DNS traffic: bytes of a host's DNS flows in a minute.
local threshold = require("threshold")

local function counter(host)
  return host.dns_bytes
end

return threshold.script({
  key = "host_dns_threshold",
  kind = "host",
  title = "Host DNS traffic",
  description = "Bytes of a host's DNS flows in a minute",
  unit = "bytes",
  threshold = 1000000,
  metric = threshold.growth(counter, true, false),
})
