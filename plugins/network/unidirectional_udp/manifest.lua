-- UDP flows that never got a reply.
return {
  title = "Unidirectional UDP",
  description = "Marks UDP flows to a unicast server that never replied",
  author = "vigil",
  version = "1.0",
  dependencies = {},
}
