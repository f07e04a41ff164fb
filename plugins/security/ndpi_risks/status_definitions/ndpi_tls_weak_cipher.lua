-- nDPI risk 8, "Weak TLS Cipher": nDPI 4.2 rates it High and scores it 100.
return {
  key = "ndpi_tls_weak_cipher",
  title = "Weak TLS Cipher",
  description = "The TLS session negotiated a weak cipher",
  alert = "ndpi_risk_high",
  score = 100,
}
