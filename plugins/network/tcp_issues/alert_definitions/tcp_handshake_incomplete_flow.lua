-- Raised with the status tcp_handshake_incomplete.
return {
  key = "tcp_handshake_incomplete_flow",
  title = "TCP handshake not completed",
  description = "The client's SYN got no SYN-ACK, or the client never " ..
    "acknowledged it",
  severity = "notice",
}
