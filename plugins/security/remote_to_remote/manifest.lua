-- Flows between two hosts outside the local networks.
return {
  title = "Remote-to-remote flows",
  description = "Marks flows whose client and server are both outside " ..
    "networks.local: traffic the monitored network should not carry",
  author = "vigil",
  version = "1.0",
  dependencies = {},
}
