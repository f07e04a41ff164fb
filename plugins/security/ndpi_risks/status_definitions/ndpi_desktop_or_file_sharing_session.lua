-- nDPI risk 30, "Desktop/File Sharing Session": nDPI 4.2 rates it Low and scores it 10.
return {
  key = "ndpi_desktop_or_file_sharing_session",
  title = "Desktop/File Sharing Session",
  description = "The flow is a remote desktop or file sharing session",
  alert = "ndpi_risk_low",
  score = 10,
}
