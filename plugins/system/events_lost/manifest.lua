-- Plugin events vigild could not deliver.
return {
  title = "Events lost",
  description = "Alerts while vigild drops event batches for a sandbox " ..
    "that fell behind",
  author = "vigil",
  version = "1.0",
  dependencies = {},
}
