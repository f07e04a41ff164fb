-- A plugin for the browser tests: marks flows whose server name holds a
-- marker and has a page that quotes those names, so the tests can check
-- that the pages show plugin and traffic strings as text.
return {
  title = "UI probe",
  description = "Marks flows whose server name contains a marker",
  author = "vigil",
  version = "1.0",
  dependencies = {},
}
