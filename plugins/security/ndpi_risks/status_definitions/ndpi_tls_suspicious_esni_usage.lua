-- nDPI risk 21, "TLS Suspicious ESNI Usage": nDPI 4.2 rates it Medium and scores it 50.
return {
  key = "ndpi_tls_suspicious_esni_usage",
  title = "TLS Suspicious ESNI Usage",
  description = "The TLS client used Encrypted SNI in an unusual way",
  alert = "ndpi_risk_medium",
  score = 50,
}
