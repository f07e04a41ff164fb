-- Counts per host in windows of packet time, for checks built from flow
-- events, and the alerts those checks engaged.
--
-- Flows are counted in the window of their first packet, whenever their
-- event arrives. A failed handshake is reported when its flow ends, an
-- idle timeout after its SYN, so events come late and out of order. Each
-- host therefore keeps a few windows open. A window is dropped once it ended
-- more than MAX_DELAY_S ago.
local window = {}

window.PERIOD_S = 60
local MAX_DELAY_S = 900

-- Every counter set of the plugin, by name, for window.expire_all().
window.all = {}

-- Returns the counter set <name>: one per check and role (attacker,
-- victim), shared by the plugin's scripts.
function window.counter(name)
  local counter = window.all[name]
  if counter == nil then
    counter = { hosts = {} }
    window.all[name] = counter
  end
  return counter
end

-- Adds one to <host>'s count in the window of time <t>, or, with <item>,
-- adds <item> to the window's distinct items. Returns the window's count
-- and its start.
function window.add(counter, host, t, item)
  local start = t - t % window.PERIOD_S
  local windows = counter.hosts[host]
  if windows == nil then
    windows = {}
    counter.hosts[host] = windows
  end
  local w = windows[start]
  if w == nil then
    w = { count = 0, items = item and {} or nil }
    windows[start] = w
  end
  if item ~= nil then
    if w.items[item] then
      return w.count, start
    end
    w.items[item] = true
  end
  w.count = w.count + 1
  return w.count, start
end

-- Drops the windows that ended more than MAX_DELAY_S before <now>.
function window.expire(counter, now)
  for host, windows in pairs(counter.hosts) do
    local left = false
    for start in pairs(windows) do
      if start + window.PERIOD_S + MAX_DELAY_S < now then
        windows[start] = nil
      else
        left = true
      end
    end
    if not left then
      counter.hosts[host] = nil
    end
  end
end

function window.expire_all(now)
  for _, counter in pairs(window.all) do
    window.expire(counter, now)
  end
end

-- Alerts engaged by the flow checks: "alert|host" -> start of the last
-- window that crossed the threshold.
window.engaged = {}

-- Triggers host alert <alert> for <host> and remembers the window.
function window.trigger(alert, host, start, score, details)
  alerts.trigger(alert, {
    entity = "host",
    value = host,
    score = score,
    details = details,
  })
  local id = alert .. "|" .. host
  local last = window.engaged[id]
  if last == nil or start > last then
    window.engaged[id] = start
  end
end

-- True once a host snapshot carried SYN counts. vigild then counts SYNs
-- per host and syn_flood_counters covers SYN floods, so the flow script
-- syn_flood stops counting and a flood is not raised twice.
window.counters_seen = false

-- Alerts raised from vigild's per-host counters (syn_flood_counters):
-- "alert|host" -> packet time of the host's last min hook.
window.raised = {}

-- Releases the alerts syn_flood_counters raised for hosts that had no
-- hook in the minute before <now>: an idle host sent no SYN.
function window.release_idle(now)
  for id, last in pairs(window.raised) do
    if last < now - window.PERIOD_S / 2 then
      local alert, host = id:match("^([^|]+)|(.+)$")
      alerts.release(alert, { entity = "host", value = host })
      window.raised[id] = nil
    end
  end
end

-- Releases the alerts whose last crossing window ended a whole window
-- before <now>: a host gets one quiet minute before its alert ends.
function window.release_quiet(now)
  for id, start in pairs(window.engaged) do
    if start + 2 * window.PERIOD_S <= now then
      local alert, host = id:match("^([^|]+)|(.+)$")
      alerts.release(alert, { entity = "host", value = host })
      window.engaged[id] = nil
    end
  end
end

return window
