-- Marks flows with neither end in networks.local. A probe on a network's
-- uplink sees such flows only when the network routes or reflects
-- traffic it should not (an open proxy, a spoofing host, a misrouted
-- link).
--
-- NOTE: with no networks.local configured every flow is remote, so the
-- script is off by default; enable it once networks.local lists the
-- monitored networks.
local function check(flow, conf)
  if not flow.client_local and not flow.server_local then
    flow:setStatus("remote_to_remote_flow", conf.score)
  end
end

return {
  key = "remote_to_remote",
  title = "Remote-to-remote flows",
  description = "Flows whose client and server are both outside the " ..
    "local networks",
  category = "network",
  default_value = {
    enabled = false,
    score = 30,
  },
  hooks = {
    protocolDetected = check,
  },
}
