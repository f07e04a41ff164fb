-- nDPI risk 25, "HTTP Suspicious Content": nDPI 4.2 rates it High and scores it 100.
return {
  key = "ndpi_http_suspicious_content",
  title = "HTTP Suspicious Content",
  description = "The HTTP content is unusual",
  alert = "ndpi_risk_high",
  score = 100,
}
