-- English strings of the SYN flood and scan plugin.
return {
  syn_attacks = {
    title = "SYN flood and scan",
    flood_attacker = "SYN flood attacker",
    flood_victim = "SYN flood victim",
    scan_attacker = "SYN scan attacker",
    scan_victim = "SYN scan victim",
  },
}
