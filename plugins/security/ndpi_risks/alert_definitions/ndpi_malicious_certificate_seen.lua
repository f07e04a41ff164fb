-- Raised with ndpi_malicious_sha1_certificate: the server certificate's
-- SHA-1 fingerprint is in the list vigild gave nDPI (--sha1).
return {
  key = "ndpi_malicious_certificate_seen",
  title = "TLS server with a malicious certificate",
  description = "The server certificate's SHA-1 fingerprint is in nDPI's " ..
    "malicious certificate list",
  severity = "error",
}
