-- DNS requests and replies per client host, in windows of a minute of
-- packet time (the minute of each flow's first packet), and the alerts
-- engaged from them.
local ratio = {}

ratio.PERIOD_S = 60
local MAX_DELAY_S = 900  -- flows report when they end, this late at most

-- host -> window start -> { requests, replies }
local windows = {}
-- host -> start of the last window that crossed the threshold
ratio.engaged = {}

-- Adds a flow's counts to <host>'s window of time <t>; returns the
-- window's totals and its start.
function ratio.add(host, t, requests, replies)
  local start = t - t % ratio.PERIOD_S
  local per_host = windows[host]
  if per_host == nil then
    per_host = {}
    windows[host] = per_host
  end
  local w = per_host[start]
  if w == nil then
    w = { requests = 0, replies = 0 }
    per_host[start] = w
  end
  w.requests = w.requests + requests
  w.replies = w.replies + replies
  return w, start
end

-- Releases the alerts of hosts whose last crossing window ended a whole
-- window before <now>, and drops windows too old to get more flows.
function ratio.minute(now, alert)
  for host, start in pairs(ratio.engaged) do
    if start + 2 * ratio.PERIOD_S <= now then
      alerts.release(alert, { entity = "host", value = host })
      ratio.engaged[host] = nil
    end
  end
  for host, per_host in pairs(windows) do
    local left = false
    for start in pairs(per_host) do
      if start + ratio.PERIOD_S + MAX_DELAY_S < now then
        per_host[start] = nil
      else
        left = true
      end
    end
    if not left then
      windows[host] = nil
    end
  end
end

return ratio
