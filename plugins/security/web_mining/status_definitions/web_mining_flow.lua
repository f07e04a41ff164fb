-- The flow is cryptocurrency mining, by nDPI's classification.
return {
  key = "web_mining_flow",
  title = "Cryptocurrency mining",
  description = "nDPI classifies the flow in its Mining category",
  alert = "web_mining",
  score = 100,
}
