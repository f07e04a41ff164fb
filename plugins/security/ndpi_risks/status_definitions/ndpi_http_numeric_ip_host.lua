-- nDPI risk 12, "HTTP Numeric IP Address": nDPI 4.2 rates it Low and scores it 10.
return {
  key = "ndpi_http_numeric_ip_host",
  title = "HTTP Numeric IP Address",
  description = "The HTTP Host header is a numeric IP address",
  alert = "ndpi_risk_low",
  score = 10,
}
