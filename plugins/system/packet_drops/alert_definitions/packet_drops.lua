-- Engaged while an interface drops packets.
return {
  key = "packet_drops",
  title = "Interface dropping packets",
  description = "The NIC or the rings to the engine lcores dropped more " ..
    "packets in a minute than the threshold allows; released after a " ..
    "minute within it",
  severity = "error",
}
