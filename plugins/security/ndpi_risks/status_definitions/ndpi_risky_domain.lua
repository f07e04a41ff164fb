-- nDPI risk 27, "Risky Domain Name": nDPI 4.2 rates it Medium and scores it 50.
return {
  key = "ndpi_risky_domain",
  title = "Risky Domain Name",
  description = "The server name is in nDPI's risky domain list",
  alert = "ndpi_risky_domain_contacted",
  score = 50,
}
