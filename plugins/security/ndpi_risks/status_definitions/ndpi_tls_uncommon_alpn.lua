-- nDPI risk 31, "Uncommon TLS ALPN": nDPI 4.2 rates it Medium and scores it 50.
return {
  key = "ndpi_tls_uncommon_alpn",
  title = "Uncommon TLS ALPN",
  description = "The TLS client offered an uncommon ALPN",
  alert = "ndpi_risk_medium",
  score = 50,
}
