-- Host packets: packets a host sent and received in a minute.
local threshold = require("threshold")

local function counter(host)
  return host.packets_sent + host.packets_rcvd
end

return threshold.script({
  key = "host_packets_threshold",
  kind = "host",
  title = "Host packets",
  description = "Packets a host sent and received in a minute",
  unit = "packets",
  threshold = 1000000,
  metric = threshold.growth(counter, true, false),
})
