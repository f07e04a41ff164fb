-- English strings of the unexpected servers plugin.
return {
  unexpected_servers = {
    title = "Unexpected servers",
    dns = "Unexpected DNS server",
    dhcp = "Unexpected DHCP server",
    ntp = "Unexpected NTP server",
    smtp = "Unexpected SMTP server",
  },
}
