-- English strings of the blacklist plugin.
return {
  blacklist = {
    title = "Blacklisted hosts and domains",
    client = "Blacklisted client",
    server = "Blacklisted server",
    domain = "Blacklisted domain",
  },
}
