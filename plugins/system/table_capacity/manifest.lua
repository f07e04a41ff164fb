-- vigild's flow and host tables running out of room.
return {
  title = "Table capacity",
  description = "Alerts while the flow or host table is nearly full or " ..
    "rejects entries",
  author = "vigil",
  version = "1.0",
  dependencies = {},
}
