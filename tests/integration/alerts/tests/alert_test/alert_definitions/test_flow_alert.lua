-- Raised with the test_flow_seen status, so once for every flow.
return {
  key = "test_flow_alert",
  title = "Flow seen",
  description = "Every flow raises it once",
  severity = "warning",
}
