-- Setting this status on a flow also raises ui_probe_marked_name.
return {
  key = "ui_probe_marked",
  title = "Marked server name",
  description = "The flow's server name contains the marker",
  alert = "ui_probe_marked_name",
  score = 40,
}
