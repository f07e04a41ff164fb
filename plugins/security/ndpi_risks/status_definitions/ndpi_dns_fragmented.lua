-- nDPI risk 38, "Fragmented DNS Message": nDPI 4.2 rates it Medium and scores it 50.
return {
  key = "ndpi_dns_fragmented",
  title = "Fragmented DNS Message",
  description = "A DNS message was fragmented",
  alert = "ndpi_risk_medium",
  score = 50,
}
