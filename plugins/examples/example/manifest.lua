-- The example plugin: one of each thing a plugin can contain.
return {
  title = "Example",
  description = "Marks flows to watched destinations, alerts on hosts " ..
    "that send too much and keeps an interface traffic timeseries",
  author = "vigil",
  version = "1.0",
  dependencies = {},
}
