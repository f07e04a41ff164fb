return {
  key = "e_alert",
  title = "E",
  severity = "urgent",
}
