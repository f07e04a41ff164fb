-- Set on every flow; raises test_flow_alert.
return {
  key = "test_flow_seen",
  title = "Flow seen",
  description = "Set on every flow",
  alert = "test_flow_alert",
  score = 10,
}
