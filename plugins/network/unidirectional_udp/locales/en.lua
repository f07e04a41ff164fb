-- English strings of the unidirectional UDP plugin.
return {
  unidirectional_udp = {
    title = "Unidirectional UDP",
  },
}
