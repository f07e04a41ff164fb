-- Raised with unexpected_ntp_server.
return {
  key = "unexpected_ntp_server_contact",
  title = "Contact with an unexpected NTP server",
  description = "A host used an NTP server that is not in the allowed list",
  severity = "warning",
}
