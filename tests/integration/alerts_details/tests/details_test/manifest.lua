-- Raises alerts whose details are not a JSON object, for the test of how
-- vigild stores and sends such details.
return {
  title = "Details test",
  description = "Host alerts with array and object details",
  author = "vigil tests",
  version = "1.0",
  dependencies = {},
}
