-- A NTP flow whose server is not in unexpected_ntp_server's allowed list.
return {
  key = "unexpected_ntp_server",
  title = "Unexpected NTP server",
  description = "The NTP server is not in the allowed list",
  alert = "unexpected_ntp_server_contact",
  score = 50,
}
