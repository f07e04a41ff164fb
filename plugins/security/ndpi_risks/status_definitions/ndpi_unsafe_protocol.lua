-- nDPI risk 22, "Unsafe Protocol": nDPI 4.2 rates it Low and scores it 10.
return {
  key = "ndpi_unsafe_protocol",
  title = "Unsafe Protocol",
  description = "The protocol sends data, or credentials, without protection",
  alert = "ndpi_risk_low",
  score = 10,
}
