-- Raised with ndpi_malicious_ja3: the TLS client's JA3 fingerprint is in
-- the list vigild gave nDPI (--ja3).
return {
  key = "ndpi_malicious_ja3_seen",
  title = "TLS client with a malicious JA3 fingerprint",
  description = "The TLS client fingerprint is in nDPI's malicious JA3 list",
  severity = "error",
}
