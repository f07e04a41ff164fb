-- Raised with details that encode as a JSON object.
return {
  key = "test_object_details",
  title = "Object details",
  description = "Details are a Lua table with string keys, a JSON object",
  severity = "warning",
}
