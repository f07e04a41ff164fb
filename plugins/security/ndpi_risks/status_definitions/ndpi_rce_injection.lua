-- nDPI risk 3, "RCE Injection": nDPI 4.2 rates it Severe and scores it 250.
return {
  key = "ndpi_rce_injection",
  title = "RCE Injection",
  description = "A URL in the flow looks like a remote code execution attempt",
  alert = "ndpi_risk_severe",
  score = 250,
}
