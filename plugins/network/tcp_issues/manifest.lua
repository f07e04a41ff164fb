-- TCP flows that show network or host trouble.
return {
  title = "TCP connection issues",
  description = "Marks TCP flows with many retransmissions or " ..
    "out-of-order segments, zero windows, or an incomplete handshake",
  author = "vigil",
  version = "1.0",
  dependencies = {},
}
