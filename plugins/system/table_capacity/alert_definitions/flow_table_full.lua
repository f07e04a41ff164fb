-- Engaged while the flow table is nearly full or rejects flows.
return {
  key = "flow_table_full",
  title = "Flow table near capacity",
  description = "The flow table's use passed the threshold, or new flows " ..
    "found it full and went untracked; raise flows.table_size",
  severity = "error",
}
