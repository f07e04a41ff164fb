-- nDPI risk 28, "Possibly Malicious JA3 Fingerprint": nDPI 4.2 rates it Medium and scores it 50.
return {
  key = "ndpi_malicious_ja3",
  title = "Possibly Malicious JA3 Fingerprint",
  description = "The TLS client fingerprint (JA3) is in nDPI's malicious list",
  alert = "ndpi_malicious_ja3_seen",
  score = 50,
}
