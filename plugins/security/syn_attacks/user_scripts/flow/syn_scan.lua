-- SYN scan: a host probes more distinct ports in a minute than the
-- threshold (attacker), or has more of its ports probed (victim). A probe
-- is a SYN that got no SYN-ACK, or a handshake the client reset without
-- sending data. The attacker counts distinct (server, port) pairs, the
-- victim distinct (client, port) pairs, in the minute of each flow's
-- first packet.
--
-- NOTE: as for syn_flood, probes are counted when their flows end, and
-- each sandbox counts only the flows it receives.
local window = require("window")
local handshake = require("handshake")

local attackers = window.counter("syn_scan_attacker")
local victims = window.counter("syn_scan_victim")

local function count(counter, alert, host, target, flow, conf)
  local targets, start = window.add(counter, host, flow.first_seen, target)
  if vigil.exceeds(targets, conf) then
    window.trigger(alert, host, start, conf.score, {
      ports_probed = targets,
      window_start = start,
      period_s = window.PERIOD_S,
      threshold = conf.threshold,
    })
  end
end

return {
  key = "syn_scan",
  title = "SYN scan",
  description = "Hosts that probe, or whose ports are probed, more than " ..
    "the threshold a minute",
  category = "security",
  filter = { l4 = { "TCP" } },
  default_value = {
    enabled = true,
    threshold = 100,     -- distinct ports probed per minute
    operator = "gt",
    score = 100,
  },
  hooks = {
    flowEnd = function(flow, conf)
      if not handshake.probe(flow) then
        return
      end
      local client = handshake.host_key(flow.client_ip, flow.vlan)
      local server = handshake.host_key(flow.server_ip, flow.vlan)
      count(attackers, "syn_scan_attacker", client,
            server .. ":" .. flow.server_port, flow, conf)
      count(victims, "syn_scan_victim", server,
            client .. ":" .. flow.server_port, flow, conf)
    end,
  },
}
