-- nDPI risk 36, "Clear-Text Credentials": nDPI 4.2 rates it High and scores it 100.
return {
  key = "ndpi_clear_text_credentials",
  title = "Clear-Text Credentials",
  description = "Credentials were sent in clear text",
  alert = "ndpi_risk_high",
  score = 100,
}
