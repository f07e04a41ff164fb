-- NTP exchanged with a server not in the allowed list.
local servers = require("servers")

return servers.script("ntp", { "NTP" }, servers.by_port(123))
