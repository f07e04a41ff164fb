-- nDPI risk 1, "XSS Attack": nDPI 4.2 rates it Severe and scores it 250.
return {
  key = "ndpi_xss",
  title = "XSS Attack",
  description = "A URL in the flow looks like a cross-site scripting attempt",
  alert = "ndpi_risk_severe",
  score = 250,
}
