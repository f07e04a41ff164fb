-- nDPI risk 19, "SSH Obsolete Server Version/Cipher": nDPI 4.2 rates it Medium and scores it 50.
return {
  key = "ndpi_ssh_obsolete_server",
  title = "SSH Obsolete Server Version/Cipher",
  description = "The SSH server offered an obsolete version or cipher",
  alert = "ndpi_risk_medium",
  score = 50,
}
