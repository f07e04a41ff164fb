-- Raised with details that encode as a JSON array.
return {
  key = "test_array_details",
  title = "Array details",
  description = "Details are a Lua sequence, a JSON array",
  severity = "warning",
}
