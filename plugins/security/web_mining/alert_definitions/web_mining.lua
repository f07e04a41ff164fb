-- Raised with web_mining_flow.
return {
  key = "web_mining",
  title = "Cryptocurrency mining",
  description = "A host exchanged cryptocurrency mining traffic",
  severity = "error",
}
