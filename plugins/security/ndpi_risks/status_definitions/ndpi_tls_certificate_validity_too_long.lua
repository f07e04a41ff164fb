-- nDPI risk 32, "TLS Certificate Validity Too Long": nDPI 4.2 rates it Medium and scores it 50.
return {
  key = "ndpi_tls_certificate_validity_too_long",
  title = "TLS Certificate Validity Too Long",
  description = "The TLS certificate is valid for longer than nDPI allows",
  alert = "ndpi_risk_medium",
  score = 50,
}
