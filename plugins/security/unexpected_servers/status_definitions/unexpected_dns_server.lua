-- A DNS flow whose server is not in unexpected_dns_server's allowed list.
return {
  key = "unexpected_dns_server",
  title = "Unexpected DNS server",
  description = "The DNS server is not in the allowed list",
  alert = "unexpected_dns_server_contact",
  score = 50,
}
