-- Raised for a flow when it gets the ui_probe_marked status.
return {
  key = "ui_probe_marked_name",
  title = "Server name with the marker",
  description = "The flow's host name or TLS SNI contains the marker",
  severity = "error",
}
