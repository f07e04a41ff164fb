-- Raised with blacklisted_client.
return {
  key = "blacklisted_client_contact",
  title = "Flow from a blacklisted host",
  description = "A host in a configured IP list opened a flow",
  severity = "error",
}
