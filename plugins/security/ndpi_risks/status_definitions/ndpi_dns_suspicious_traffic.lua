-- nDPI risk 23, "Suspicious DNS Traffic": nDPI 4.2 rates it High and scores it 100.
return {
  key = "ndpi_dns_suspicious_traffic",
  title = "Suspicious DNS Traffic",
  description = "The DNS traffic is unusual, for example a tunnel",
  alert = "ndpi_risk_high",
  score = 100,
}
