-- Engaged while the host table is nearly full or rejects hosts.
return {
  key = "host_table_full",
  title = "Host table near capacity",
  description = "The host table's use passed the threshold, or new " ..
    "hosts found it full and were not counted",
  severity = "error",
}
