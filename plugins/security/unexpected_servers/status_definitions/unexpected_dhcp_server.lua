-- A DHCP flow whose server is not in unexpected_dhcp_server's allowed list.
return {
  key = "unexpected_dhcp_server",
  title = "Unexpected DHCP server",
  description = "The DHCP server is not in the allowed list",
  alert = "unexpected_dhcp_server_contact",
  score = 50,
}
