-- nDPI risk 11, "HTTP Suspicious User-Agent": nDPI 4.2 rates it High and scores it 100.
return {
  key = "ndpi_http_suspicious_user_agent",
  title = "HTTP Suspicious User-Agent",
  description = "The HTTP User-Agent is missing, empty or unusual",
  alert = "ndpi_risk_high",
  score = 100,
}
