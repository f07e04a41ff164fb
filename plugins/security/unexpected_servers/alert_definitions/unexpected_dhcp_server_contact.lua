-- Raised with unexpected_dhcp_server.
return {
  key = "unexpected_dhcp_server_contact",
  title = "Contact with an unexpected DHCP server",
  description = "A host got a DHCP answer from a server that is not in the allowed list",
  severity = "warning",
}
