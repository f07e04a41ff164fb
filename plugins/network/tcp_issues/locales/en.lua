-- English strings of the TCP connection issues plugin.
return {
  tcp_issues = {
    title = "TCP connection issues",
  },
}
