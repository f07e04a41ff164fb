-- English strings of the remote-to-remote plugin.
return {
  remote_to_remote = {
    title = "Remote-to-remote flows",
  },
}
