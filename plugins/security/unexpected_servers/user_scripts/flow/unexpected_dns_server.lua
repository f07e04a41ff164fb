-- DNS queries to a resolver not in the allowed list.
local servers = require("servers")

return servers.script("dns", { "DNS" }, function(flow)
  return flow.server_ip
end)
