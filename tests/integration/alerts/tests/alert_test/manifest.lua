-- Raises alerts on demand for the alert store's integration tests.
return {
  title = "Alert test",
  description = "A flow alert for every flow, and host alerts engaged " ..
    "and released by server port",
  author = "vigil tests",
  version = "1.0",
  dependencies = {},
}
