-- nDPI risk 14, "HTTP Suspicious Header": nDPI 4.2 rates it High and scores it 100.
return {
  key = "ndpi_http_suspicious_header",
  title = "HTTP Suspicious Header",
  description = "The HTTP request carries an unusual header",
  alert = "ndpi_risk_high",
  score = 100,
}
