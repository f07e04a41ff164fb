-- Set by tcp_issues: tCP handshake not completed.
return {
  key = "tcp_handshake_incomplete",
  title = "TCP handshake not completed",
  description = "The client's SYN got no SYN-ACK, or the client never " ..
    "acknowledged it",
  alert = "tcp_handshake_incomplete_flow",
  score = 10,
}
