-- English strings of the example plugin.
return {
  example = {
    title = "Example",
    watched_flow = "Flow to a watched destination",
    host_upload = "Host sent more than the threshold",
  },
}
