-- nDPI risk 6, "Self-signed Certificate": nDPI 4.2 rates it High and scores it 100.
return {
  key = "ndpi_tls_self_signed_certificate",
  title = "Self-signed Certificate",
  description = "The TLS server presented a self-signed certificate",
  alert = "ndpi_risk_high",
  score = 100,
}
