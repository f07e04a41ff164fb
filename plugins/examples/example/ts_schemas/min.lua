-- Schemas written every minute. Metric order is the order vigild stores
-- them in.
return {
  {
    name = "example:iface_traffic",
    tags = { "ifname" },
    metrics = {
      { name = "packets", type = "counter" },
      { name = "bytes", type = "counter" },
    },
  },
}
