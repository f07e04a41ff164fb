-- Engaged for the client of a flow to port 5001 or 5002.
return {
  key = "test_host_alert",
  title = "Host engaged",
  description = "Engaged by a flow to port 5001, engaged and released " ..
    "by a flow to port 5002",
  severity = "error",
}
