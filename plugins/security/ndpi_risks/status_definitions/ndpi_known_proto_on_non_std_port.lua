-- nDPI risk 5, "Known Protocol on Non Standard Port": nDPI 4.2 rates it Medium and scores it 50.
return {
  key = "ndpi_known_proto_on_non_std_port",
  title = "Known Protocol on Non Standard Port",
  description = "A known protocol runs on a port other than its usual one",
  alert = "ndpi_risk_medium",
  score = 50,
}
