-- nDPI risk 17, "Malformed Packet": nDPI 4.2 rates it Low and scores it 10.
return {
  key = "ndpi_malformed_packet",
  title = "Malformed Packet",
  description = "nDPI found a packet that does not follow the protocol",
  alert = "ndpi_risk_low",
  score = 10,
}
