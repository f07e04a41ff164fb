-- Flows from or to hosts and domains in the operator's block lists.
return {
  title = "Blacklisted hosts and domains",
  description = "Marks flows whose client, server or server name is in " ..
    "the IP and domain lists named in the configuration",
  author = "vigil",
  version = "1.0",
  dependencies = {},
}
