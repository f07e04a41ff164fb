-- nDPI risk 9, "TLS Expired Certificate": nDPI 4.2 rates it High and scores it 100.
return {
  key = "ndpi_tls_certificate_expired",
  title = "TLS Expired Certificate",
  description = "The TLS server presented an expired certificate",
  alert = "ndpi_risk_high",
  score = 100,
}
