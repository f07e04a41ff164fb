-- nDPI risk 13, "HTTP Suspicious URL": nDPI 4.2 rates it High and scores it 100.
return {
  key = "ndpi_http_suspicious_url",
  title = "HTTP Suspicious URL",
  description = "The HTTP URL asks for a suspicious resource",
  alert = "ndpi_risk_high",
  score = 100,
}
