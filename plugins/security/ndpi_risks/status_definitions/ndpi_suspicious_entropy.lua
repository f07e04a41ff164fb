-- nDPI risk 35, "Suspicious Entropy": nDPI 4.2 rates it Medium and scores it 50.
return {
  key = "ndpi_suspicious_entropy",
  title = "Suspicious Entropy",
  description = "The payload entropy is unusual for the protocol",
  alert = "ndpi_risk_medium",
  score = 50,
}
