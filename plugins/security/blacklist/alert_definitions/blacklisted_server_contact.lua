-- Raised with blacklisted_server.
return {
  key = "blacklisted_server_contact",
  title = "Flow to a blacklisted host",
  description = "A flow reached a host in a configured IP list",
  severity = "error",
}
