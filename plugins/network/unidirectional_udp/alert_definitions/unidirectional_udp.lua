-- Raised with unidirectional_udp_flow.
return {
  key = "unidirectional_udp",
  title = "Unidirectional UDP flow",
  description = "A UDP flow to a unicast server ended without a reply",
  severity = "notice",
}
