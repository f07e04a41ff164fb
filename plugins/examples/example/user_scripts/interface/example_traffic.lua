-- Appends one point a minute to the example:iface_traffic timeseries.
return {
  key = "example_traffic",
  title = "Interface traffic",
  hooks = {
    min = function(iface, conf)
      ts.append("example:iface_traffic", { ifname = iface.name }, {
        packets = iface.packets,
        bytes = iface.bytes,
      })
    end,
  },
}
