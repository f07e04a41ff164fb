-- Engaged while vigild drops event batches for a sandbox.
return {
  key = "events_lost",
  title = "Events lost to a sandbox",
  description = "vigild dropped event batches for a sandbox whose rings " ..
    "were full, so plugins missed flows or snapshots; released after a " ..
    "minute without losses",
  severity = "warning",
}
