-- Hosts and networks that open or receive too many flows.
return {
  title = "Flow flood",
  description = "Alerts on hosts that open, and hosts and local networks " ..
    "that receive, more new flows a minute than a threshold",
  author = "vigil",
  version = "1.0",
  dependencies = {},
}
