-- nDPI risk 4, "Binary Application Transfer": nDPI 4.2 rates it Severe and scores it 250.
return {
  key = "ndpi_binary_application_transfer",
  title = "Binary Application Transfer",
  description = "An executable or other binary application was transferred in clear",
  alert = "ndpi_risk_severe",
  score = 250,
}
