-- nDPI risk 2, "SQL Injection": nDPI 4.2 rates it Severe and scores it 250.
return {
  key = "ndpi_sql_injection",
  title = "SQL Injection",
  description = "A URL in the flow looks like an SQL injection attempt",
  alert = "ndpi_risk_severe",
  score = 250,
}
