-- Engaged while the host script host_p2p_threshold finds its metric
-- (bytes of a host's peer-to-peer flows in a minute) past the threshold.
return {
  key = "host_p2p_threshold",
  title = "Host P2P traffic threshold crossed",
  description = "Bytes of a host's peer-to-peer flows in a minute, past " ..
    "the configured threshold; released after a minute back " ..
    "within it",
  severity = "warning",
}
