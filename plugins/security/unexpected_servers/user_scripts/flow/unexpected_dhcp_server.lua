-- DHCP answered by a server not in the allowed list: a rogue DHCP server
-- hands out addresses, gateways and resolvers of its choosing. The server
-- is the side that sends from port 67; a client's broadcast to port 67
-- has no server address yet, so it is not checked.
local servers = require("servers")

local from_port = servers.by_port(67)

return servers.script("dhcp", { "DHCP" }, function(flow)
  local server = from_port(flow)
  if server == "255.255.255.255" or server == "0.0.0.0" then
    return nil
  end
  return server
end)
