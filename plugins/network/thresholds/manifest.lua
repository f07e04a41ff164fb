-- Threshold crossing for hosts, interfaces and local networks.
return {
  title = "Thresholds",
  description = "Alerts while a host's, an interface's or a local " ..
    "network's traffic, packets, flows, throughput, DNS or P2P traffic " ..
    "in a minute crosses a configured threshold, and on idle hosts",
  author = "vigil",
  version = "1.0",
  dependencies = {},
}
