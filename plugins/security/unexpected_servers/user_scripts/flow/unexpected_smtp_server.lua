-- Mail sent to an SMTP server not in the allowed list, as a host that
-- spams or leaks data would.
local servers = require("servers")

return servers.script("smtp", { "SMTP", "SMTPS" }, function(flow)
  return flow.server_ip
end)
