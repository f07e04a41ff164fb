-- Raised with unexpected_dns_server.
return {
  key = "unexpected_dns_server_contact",
  title = "Contact with an unexpected DNS server",
  description = "A host queried a DNS resolver that is not in the allowed list",
  severity = "warning",
}
