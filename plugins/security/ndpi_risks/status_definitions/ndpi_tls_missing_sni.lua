-- nDPI risk 24, "Missing SNI TLS Extension": nDPI 4.2 rates it Medium and scores it 50.
return {
  key = "ndpi_tls_missing_sni",
  title = "Missing SNI TLS Extension",
  description = "The TLS client sent no SNI extension",
  alert = "ndpi_risk_medium",
  score = 50,
}
