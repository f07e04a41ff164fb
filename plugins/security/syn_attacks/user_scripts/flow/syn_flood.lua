-- SYN flood: a host sends, or receives, more unanswered SYNs in a minute
-- than the threshold. Each flow whose SYN got no SYN-ACK counts once for
-- its client (attacker) and its server (victim), in the minute of its
-- first packet.
--
-- This is the fallback for a vigild that does not count SYNs per host:
-- once a host snapshot carries SYN counts, the host script
-- syn_flood_counters takes over and this script stops counting.
--
-- NOTE: counting from flow events, a SYN is seen when its flow ends (an
-- idle timeout later), and with several sandboxes each one counts only
-- the flows it receives.
local window = require("window")
local handshake = require("handshake")

local attackers = window.counter("syn_flood_attacker")
local victims = window.counter("syn_flood_victim")

local function count(counter, alert, host, flow, conf)
  local flows, start = window.add(counter, host, flow.first_seen)
  if vigil.exceeds(flows, conf) then
    window.trigger(alert, host, start, conf.score, {
      syn_flows = flows,
      window_start = start,
      period_s = window.PERIOD_S,
      threshold = conf.threshold,
    })
  end
end

return {
  key = "syn_flood",
  title = "SYN flood",
  description = "Hosts that send or receive more unanswered SYNs a " ..
    "minute than the threshold",
  category = "security",
  filter = { l4 = { "TCP" } },
  default_value = {
    enabled = true,
    threshold = 1000,    -- unanswered SYN flows per minute
    operator = "gt",
    score = 100,
  },
  hooks = {
    flowEnd = function(flow, conf)
      if window.counters_seen or not handshake.unanswered(flow) then
        return
      end
      count(attackers, "syn_flood_attacker",
            handshake.host_key(flow.client_ip, flow.vlan), flow, conf)
      count(victims, "syn_flood_victim",
            handshake.host_key(flow.server_ip, flow.vlan), flow, conf)
    end,
  },
}
