-- A SMTP flow whose server is not in unexpected_smtp_server's allowed list.
return {
  key = "unexpected_smtp_server",
  title = "Unexpected SMTP server",
  description = "The SMTP server is not in the allowed list",
  alert = "unexpected_smtp_server_contact",
  score = 50,
}
