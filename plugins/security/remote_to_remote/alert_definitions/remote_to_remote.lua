-- Raised with remote_to_remote_flow.
return {
  key = "remote_to_remote",
  title = "Remote-to-remote flow",
  description = "The probe saw a flow between two hosts outside the local " ..
    "networks",
  severity = "notice",
}
