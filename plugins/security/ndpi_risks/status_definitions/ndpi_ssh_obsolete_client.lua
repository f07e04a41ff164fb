-- nDPI risk 18, "SSH Obsolete Client Version/Cipher": nDPI 4.2 rates it High and scores it 100.
return {
  key = "ndpi_ssh_obsolete_client",
  title = "SSH Obsolete Client Version/Cipher",
  description = "The SSH client offered an obsolete version or cipher",
  alert = "ndpi_risk_high",
  score = 100,
}
