-- nDPI risk 10, "TLS Certificate Mismatch": nDPI 4.2 rates it High and scores it 100.
return {
  key = "ndpi_tls_certificate_mismatch",
  title = "TLS Certificate Mismatch",
  description = "The TLS certificate does not match the requested server name",
  alert = "ndpi_risk_high",
  score = 100,
}
