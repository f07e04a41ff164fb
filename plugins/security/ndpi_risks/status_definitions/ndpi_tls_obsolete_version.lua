-- nDPI risk 7, "Obsolete TLS Version (1.1 or older)": nDPI 4.2 rates it High and scores it 100.
return {
  key = "ndpi_tls_obsolete_version",
  title = "Obsolete TLS Version (1.1 or older)",
  description = "The flow uses TLS 1.1 or older",
  alert = "ndpi_risk_high",
  score = 100,
}
