-- DNS, DHCP, NTP and SMTP servers other than the ones the network uses.
return {
  title = "Unexpected servers",
  description = "Marks DNS, DHCP, NTP and SMTP flows whose server is not " ..
    "in the allowed list configured for the service",
  author = "vigil",
  version = "1.0",
  dependencies = {},
}
