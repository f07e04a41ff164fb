-- Engaged while the data directory's file system is short of space.
return {
  key = "disk_space_low",
  title = "Low disk space",
  description = "The free share of the data directory's file system " ..
    "passed the threshold; released once it is back within it",
  severity = "error",
}
