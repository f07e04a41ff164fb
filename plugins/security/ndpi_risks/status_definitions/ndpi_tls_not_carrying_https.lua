-- nDPI risk 15, "TLS (probably) Not Carrying HTTPS": nDPI 4.2 rates it Low and scores it 10.
return {
  key = "ndpi_tls_not_carrying_https",
  title = "TLS (probably) Not Carrying HTTPS",
  description = "The TLS flow probably carries something other than HTTPS",
  alert = "ndpi_risk_low",
  score = 10,
}
