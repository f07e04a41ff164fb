-- Set by unidirectional_udp on a UDP flow that got no reply.
return {
  key = "unidirectional_udp_flow",
  title = "Unidirectional UDP flow",
  description = "The client sent UDP packets and the server never replied",
  alert = "unidirectional_udp",
  score = 10,
}
