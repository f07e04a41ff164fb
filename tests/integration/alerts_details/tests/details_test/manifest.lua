-- Raises alerts with array details, and with object details to compare,
-- for the test of how vigild stores and sends details.
return {
  title = "Details test",
  description = "Host alerts with array and object details",
  author = "vigil tests",
  version = "1.0",
  dependencies = {},
}
