-- nDPI risk 41, "TLS Certificate About To Expire": nDPI 4.2 rates it Medium and scores it 50.
return {
  key = "ndpi_tls_certificate_about_to_expire",
  title = "TLS Certificate About To Expire",
  description = "The TLS certificate expires soon",
  alert = "ndpi_risk_medium",
  score = 50,
}
