-- nDPI risk 33, "TLS Suspicious Extension": nDPI 4.2 rates it High and scores it 100.
return {
  key = "ndpi_tls_suspicious_extension",
  title = "TLS Suspicious Extension",
  description = "The TLS handshake carries an unusual extension",
  alert = "ndpi_risk_high",
  score = 100,
}
