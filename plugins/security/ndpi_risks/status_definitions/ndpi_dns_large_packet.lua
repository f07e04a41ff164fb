-- nDPI risk 37, "DNS Packet Larger Than 512 bytes": nDPI 4.2 rates it Medium and scores it 50.
return {
  key = "ndpi_dns_large_packet",
  title = "DNS Packet Larger Than 512 bytes",
  description = "A DNS message is larger than 512 bytes",
  alert = "ndpi_risk_medium",
  score = 50,
}
