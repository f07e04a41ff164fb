-- nDPI risk 20, "SMB Insecure Version": nDPI 4.2 rates it High and scores it 100.
return {
  key = "ndpi_smb_insecure_version",
  title = "SMB Insecure Version",
  description = "The flow uses SMBv1, an insecure SMB version",
  alert = "ndpi_risk_high",
  score = 100,
}
