-- nDPI risk 39, "Text Contains Non-Printable Characters": nDPI 4.2 rates it High and scores it 100.
return {
  key = "ndpi_invalid_characters",
  title = "Text Contains Non-Printable Characters",
  description = "The flow carries text with non-printable characters",
  alert = "ndpi_risk_high",
  score = 100,
}
