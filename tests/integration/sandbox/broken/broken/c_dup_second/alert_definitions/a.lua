return {
  key = "dup_alert",
  title = "Two",
  severity = "info",
}
