-- nDPI risk 26, "Risky ASN": nDPI 4.2 rates it Medium and scores it 50.
return {
  key = "ndpi_risky_asn",
  title = "Risky ASN",
  description = "The remote address belongs to an AS listed as risky",
  alert = "ndpi_risk_medium",
  score = 50,
}
