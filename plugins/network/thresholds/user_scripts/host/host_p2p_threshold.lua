-- Host P2P traffic: bytes of a host's peer-to-peer flows in a minute.
local threshold = require("threshold")

local function counter(host)
  return host.p2p_bytes
end

return threshold.script({
  key = "host_p2p_threshold",
  kind = "host",
  title = "Host P2P traffic",
  description = "Bytes of a host's peer-to-peer flows in a minute",
  unit = "bytes",
  threshold = 100000000,
  metric = threshold.growth(counter, true, false),
})
