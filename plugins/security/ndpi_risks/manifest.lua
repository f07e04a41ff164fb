-- nDPI's flow risks as flow statuses, one status per risk.
return {
  title = "nDPI flow risks",
  description = "Sets a status, with nDPI's score, for every risk nDPI " ..
    "reports on a flow, and raises an alert rated by the risk's severity",
  author = "vigil",
  version = "1.0",
  dependencies = {},
}
