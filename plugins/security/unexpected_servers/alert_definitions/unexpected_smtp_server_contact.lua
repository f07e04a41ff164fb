-- Raised with unexpected_smtp_server.
return {
  key = "unexpected_smtp_server_contact",
  title = "Contact with an unexpected SMTP server",
  description = "A host sent mail through an SMTP server that is not in the allowed list",
  severity = "warning",
}
