-- English strings of the flow flood plugin.
return {
  flow_flood = {
    title = "Flow flood",
    attacker = "Flow flood attacker",
    victim = "Flow flood victim",
    network_victim = "Flow flood against a network",
  },
}
