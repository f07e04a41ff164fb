-- Neither end of the flow is in networks.local.
return {
  key = "remote_to_remote_flow",
  title = "Remote-to-remote flow",
  description = "Client and server are both outside the local networks",
  alert = "remote_to_remote",
  score = 30,
}
