-- Cryptocurrency mining traffic.
return {
  title = "Web mining",
  description = "Marks flows nDPI classifies as cryptocurrency mining",
  author = "vigil",
  version = "1.0",
  dependencies = {},
}
