-- nDPI 4.2's flow risks by the name ndpi_risk2str() gives them, which
-- is what flow.risks holds: the status each one sets and nDPI's split of
-- its score between client and server (ndpi_risk2score()). The total
-- score is the status definition's.
return {
  ["XSS Attack"] =
    { status = "ndpi_xss", client = 225, server = 25 },
  ["SQL Injection"] =
    { status = "ndpi_sql_injection", client = 225, server = 25 },
  ["RCE Injection"] =
    { status = "ndpi_rce_injection", client = 225, server = 25 },
  ["Binary Application Transfer"] =
    { status = "ndpi_binary_application_transfer", client = 125, server = 125 },
  ["Known Protocol on Non Standard Port"] =
    { status = "ndpi_known_proto_on_non_std_port", client = 25, server = 25 },
  ["Self-signed Certificate"] =
    { status = "ndpi_tls_self_signed_certificate", client = 90, server = 10 },
  ["Obsolete TLS Version (1.1 or older)"] =
    { status = "ndpi_tls_obsolete_version", client = 90, server = 10 },
  ["Weak TLS Cipher"] =
    { status = "ndpi_tls_weak_cipher", client = 90, server = 10 },
  ["TLS Expired Certificate"] =
    { status = "ndpi_tls_certificate_expired", client = 50, server = 50 },
  ["TLS Certificate Mismatch"] =
    { status = "ndpi_tls_certificate_mismatch", client = 50, server = 50 },
  ["HTTP Suspicious User-Agent"] =
    { status = "ndpi_http_suspicious_user_agent", client = 90, server = 10 },
  ["HTTP Numeric IP Address"] =
    { status = "ndpi_http_numeric_ip_host", client = 5, server = 5 },
  ["HTTP Suspicious URL"] =
    { status = "ndpi_http_suspicious_url", client = 90, server = 10 },
  ["HTTP Suspicious Header"] =
    { status = "ndpi_http_suspicious_header", client = 90, server = 10 },
  ["TLS (probably) Not Carrying HTTPS"] =
    { status = "ndpi_tls_not_carrying_https", client = 5, server = 5 },
  ["Suspicious DGA Domain name"] =
    { status = "ndpi_suspicious_dga_domain", client = 90, server = 10 },
  ["Malformed Packet"] =
    { status = "ndpi_malformed_packet", client = 5, server = 5 },
  ["SSH Obsolete Client Version/Cipher"] =
    { status = "ndpi_ssh_obsolete_client", client = 90, server = 10 },
  ["SSH Obsolete Server Version/Cipher"] =
    { status = "ndpi_ssh_obsolete_server", client = 5, server = 45 },
  ["SMB Insecure Version"] =
    { status = "ndpi_smb_insecure_version", client = 90, server = 10 },
  ["TLS Suspicious ESNI Usage"] =
    { status = "ndpi_tls_suspicious_esni_usage", client = 25, server = 25 },
  ["Unsafe Protocol"] =
    { status = "ndpi_unsafe_protocol", client = 5, server = 5 },
  ["Suspicious DNS Traffic"] =
    { status = "ndpi_dns_suspicious_traffic", client = 90, server = 10 },
  ["Missing SNI TLS Extension"] =
    { status = "ndpi_tls_missing_sni", client = 25, server = 25 },
  ["HTTP Suspicious Content"] =
    { status = "ndpi_http_suspicious_content", client = 90, server = 10 },
  ["Risky ASN"] =
    { status = "ndpi_risky_asn", client = 25, server = 25 },
  ["Risky Domain Name"] =
    { status = "ndpi_risky_domain", client = 25, server = 25 },
  ["Possibly Malicious JA3 Fingerprint"] =
    { status = "ndpi_malicious_ja3", client = 25, server = 25 },
  ["Possibly Malicious SSL Cert. SHA1 Fingerprint"] =
    { status = "ndpi_malicious_sha1_certificate", client = 25, server = 25 },
  ["Desktop/File Sharing Session"] =
    { status = "ndpi_desktop_or_file_sharing_session", client = 5, server = 5 },
  ["Uncommon TLS ALPN"] =
    { status = "ndpi_tls_uncommon_alpn", client = 25, server = 25 },
  ["TLS Certificate Validity Too Long"] =
    { status = "ndpi_tls_certificate_validity_too_long", client = 25, server = 25 },
  ["TLS Suspicious Extension"] =
    { status = "ndpi_tls_suspicious_extension", client = 90, server = 10 },
  ["TLS Fatal Alert"] =
    { status = "ndpi_tls_fatal_alert", client = 5, server = 5 },
  ["Suspicious Entropy"] =
    { status = "ndpi_suspicious_entropy", client = 25, server = 25 },
  ["Clear-Text Credentials"] =
    { status = "ndpi_clear_text_credentials", client = 90, server = 10 },
  ["DNS Packet Larger Than 512 bytes"] =
    { status = "ndpi_dns_large_packet", client = 25, server = 25 },
  ["Fragmented DNS Message"] =
    { status = "ndpi_dns_fragmented", client = 25, server = 25 },
  ["Text Contains Non-Printable Characters"] =
    { status = "ndpi_invalid_characters", client = 90, server = 10 },
  ["Possible Exploit Detected"] =
    { status = "ndpi_possible_exploit", client = 225, server = 25 },
  ["TLS Certificate About To Expire"] =
    { status = "ndpi_tls_certificate_about_to_expire", client = 5, server = 45 },
}
