-- Threshold crossing for host, interface and network metrics, built once
-- here for every script of the plugin.
--
-- Each script names a metric computed from its element once a minute,
-- most of them the growth of a cumulative counter (delta.lua). While
-- vigil.exceeds(metric, conf) is true, the script's alert (same key as the
-- script) is engaged for the element. The first minute it is false
-- releases the alert. vigild sends min hooks only for hosts active in the
-- minute, so the plugin's system script releases the alerts of hosts
-- that had no hook, as if their metric were 0.
local delta = require("delta")

local threshold = {}

threshold.PERIOD_S = 60

-- Engaged alerts of hosts: "alert|key" -> { last = time, conf = conf }.
threshold.engaged_hosts = {}

local function raise(element, key, value, conf, unit)
  element:triggerAlert(key, {
    score = conf.score,
    details = {
      value = value,
      unit = unit,
      threshold = conf.threshold,
      operator = conf.operator,
      period_s = threshold.PERIOD_S,
    },
  })
end

-- Returns a script table. <spec> has key, kind ("host", "interface",
-- "network"), title, description, unit, the default threshold and
-- operator, and metric(element, now, state) returning the minute's value
-- or nil.
function threshold.script(spec)
  local state = delta.new()
  local kind = spec.kind

  local function min(element, conf)
    local now = vigil.time()
    local value = spec.metric(element, now, state)
    if value == nil then
      return
    end
    local id = spec.key .. "|" .. element.key
    if vigil.exceeds(value, conf) then
      raise(element, spec.key, value, conf, spec.unit)
      if kind == "host" then
        threshold.engaged_hosts[id] = { last = now, conf = conf }
      end
    else
      element:releaseAlert(spec.key)
      threshold.engaged_hosts[id] = nil
    end
  end

  return {
    key = spec.key,
    title = spec.title,
    description = spec.description,
    category = "network",
    local_only = kind == "host" and spec.local_only or nil,
    default_value = {
      -- Off until the operator picks a threshold for the network.
      enabled = false,
      threshold = spec.threshold,
      operator = spec.operator or "gt",
      score = 10,
    },
    hooks = { min = min },
  }
end

-- Returns a metric: the growth of counter(element) since the element's
-- previous hook. With <host>, a host first met here counts from zero only
-- if it appeared in the last minute (delta.step). With <bits_per_second>,
-- a growth in bytes becomes the minute's average throughput.
function threshold.growth(counter, host, bits_per_second)
  return function(element, now, state)
    local first_seen = host and element.first_seen or nil
    local grown = delta.step(state, element.key, counter(element), now,
                             threshold.PERIOD_S, first_seen)
    if grown ~= nil and bits_per_second then
      return grown * 8 / threshold.PERIOD_S
    end
    return grown
  end
end

-- Raises host_idle_threshold for <key> while the time since <last> passes
-- the idle script's threshold, and releases it once it does not.
function threshold.check_idle(key, last, now)
  local conf = threshold.idle and threshold.idle.conf
  if conf == nil then
    return
  end
  local silent = now - last
  if vigil.exceeds(silent, conf) then
    alerts.trigger("host_idle_threshold", {
      entity = "host",
      value = key,
      score = conf.score,
      details = {
        value = silent,
        unit = "s",
        threshold = conf.threshold,
        operator = conf.operator,
        last_seen = last,
      },
    })
  else
    alerts.release("host_idle_threshold", { entity = "host", value = key })
  end
end

-- Releases the alerts of hosts that had no hook in the minute before
-- <now>, when a metric of 0 no longer crosses the threshold.
function threshold.release_quiet(now)
  for id, entry in pairs(threshold.engaged_hosts) do
    if entry.last < now - threshold.PERIOD_S / 2 and
        not vigil.exceeds(0, entry.conf) then
      local alert, key = id:match("^([^|]+)|(.+)$")
      alerts.release(alert, { entity = "host", value = key })
      threshold.engaged_hosts[id] = nil
    end
  end
end

return threshold
