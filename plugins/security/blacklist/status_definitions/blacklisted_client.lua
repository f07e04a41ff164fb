-- The flow's client address is in a configured IP list.
return {
  key = "blacklisted_client",
  title = "Blacklisted client",
  description = "The client address is in one of the configured IP lists",
  alert = "blacklisted_client_contact",
  score = 100,
}
