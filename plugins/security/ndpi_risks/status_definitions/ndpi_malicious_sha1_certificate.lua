-- nDPI risk 29, "Possibly Malicious SSL Cert. SHA1 Fingerprint": nDPI 4.2 rates it Medium and scores it 50.
return {
  key = "ndpi_malicious_sha1_certificate",
  title = "Possibly Malicious SSL Cert. SHA1 Fingerprint",
  description = "The TLS certificate SHA-1 fingerprint is in nDPI's malicious list",
  alert = "ndpi_malicious_certificate_seen",
  score = 50,
}
