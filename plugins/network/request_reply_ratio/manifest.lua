-- Hosts whose requests go unanswered.
return {
  title = "Request/reply ratio",
  description = "Alerts on hosts whose DNS queries in a minute get too " ..
    "few replies",
  author = "vigil",
  version = "1.0",
  dependencies = {},
}
