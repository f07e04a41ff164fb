-- nDPI risk 34, "TLS Fatal Alert": nDPI 4.2 rates it Low and scores it 10.
return {
  key = "ndpi_tls_fatal_alert",
  title = "TLS Fatal Alert",
  description = "A TLS peer sent a fatal alert",
  alert = "ndpi_risk_low",
  score = 10,
}
