-- SYN flood from vigild's per-host counters of the minute that ended:
-- SYNs a host sent (syn_sent) less the SYN-ACKs it got back (synack_rcvd)
-- are the SYNs left unanswered, and the same the other way for a victim.
-- It raises the same alerts as the flow script syn_flood, without waiting
-- for flows to end, and releases only the alerts it raised itself.
--
-- NOTE: a vigild that does not count SYNs per host sends 0 in these
-- fields, and this script then raises nothing.
local window = require("window")

-- Alerts this script raised: "alert|host" -> packet time of the host's
-- last hook. vigild sends hooks only for active hosts, so syn_windows
-- releases the ones whose host went idle.
local raised = window.raised

local function check(host, conf, alert, syns)
  local id = alert .. "|" .. host.key
  if vigil.exceeds(syns, conf) then
    if host:triggerAlert(alert, {
      score = conf.score,
      details = {
        unanswered_syns = syns,
        period_s = 60,
        threshold = conf.threshold,
      },
    }) then
      raised[id] = vigil.time()
    elseif raised[id] then
      raised[id] = vigil.time()
    end
  elseif raised[id] then
    host:releaseAlert(alert)
    raised[id] = nil
  end
end

return {
  key = "syn_flood_counters",
  title = "SYN flood (host counters)",
  description = "Hosts whose unanswered SYNs a minute, as vigild counts " ..
    "them, cross the threshold",
  category = "security",
  default_value = {
    enabled = true,
    threshold = 1000,    -- unanswered SYNs per minute
    operator = "gt",
    score = 100,
  },
  hooks = {
    min = function(host, conf)
      if host.syn_sent + host.syn_rcvd > 0 then
        window.counters_seen = true
      end
      check(host, conf, "syn_flood_attacker",
            math.max(0, host.syn_sent - host.synack_rcvd))
      check(host, conf, "syn_flood_victim",
            math.max(0, host.syn_rcvd - host.synack_sent))
    end,
  },
}
