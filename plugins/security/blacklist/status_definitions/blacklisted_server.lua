-- The flow's server address is in a configured IP list.
return {
  key = "blacklisted_server",
  title = "Blacklisted server",
  description = "The server address is in one of the configured IP lists",
  alert = "blacklisted_server_contact",
  score = 100,
}
