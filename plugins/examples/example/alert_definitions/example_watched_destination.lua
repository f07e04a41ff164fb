-- Raised for a flow when it gets the example_watched_flow status.
return {
  key = "example_watched_destination",
  title = "Flow to a watched destination",
  description = "A TLS flow whose server name ends with the watched " ..
    "suffix, or a UDP flow to the watched port",
  severity = "warning",
}
