-- Packets lost before vigild could count them.
return {
  title = "Dropped packets",
  description = "Alerts while an interface drops packets at the NIC or " ..
    "between rx and engine lcores",
  author = "vigil",
  version = "1.0",
  dependencies = {},
}
