-- Free space where vigil keeps its data.
return {
  title = "Disk space",
  description = "Alerts while the data directory's file system is short " ..
    "of free space",
  author = "vigil",
  version = "1.0",
  dependencies = {},
}
