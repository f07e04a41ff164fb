-- English strings of the dropped packets plugin.
return {
  packet_drops = {
    title = "Dropped packets",
  },
}
