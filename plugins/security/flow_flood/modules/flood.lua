-- The check shared by the flow flood scripts: trigger an alert while an
-- element's new flows per minute cross the threshold, release it after.
--
-- vigild sends a host's min hook only for minutes the host was active, so
-- a host that floods and then falls silent gets no hook that could see it
-- back under the threshold. The plugin's system script calls
-- flood.release_quiet() every minute to release those.
local delta = require("delta")

local flood = {}

local PERIOD_S = 60

-- Engaged alerts: "alert|kind|key" -> packet time of the element's last
-- hook.
local engaged = {}

-- Returns a min hook that reads counter(element) and raises <alert>.
-- <first_seen>(element) gives the element's start time, or nil.
function flood.hook(alert, counter, first_seen)
  local state = delta.new()
  return function(element, conf)
    local now = vigil.time()
    local flows = delta.step(state, element.key, counter(element), now,
                             PERIOD_S, first_seen and first_seen(element))
    if flows == nil then
      return
    end
    local id = alert .. "|" .. (first_seen and "host" or "network") .. "|" ..
      element.key
    if vigil.exceeds(flows, conf) then
      element:triggerAlert(alert, {
        score = conf.score,
        details = {
          flows = flows,
          period_s = PERIOD_S,
          threshold = conf.threshold,
          operator = conf.operator,
        },
      })
      engaged[id] = now
    else
      element:releaseAlert(alert)
      engaged[id] = nil
    end
  end
end

-- Releases the alerts of elements that had no hook in the minute before
-- <now>, which means they were idle: no new flows at all.
function flood.release_quiet(now)
  for id, last in pairs(engaged) do
    if last < now - PERIOD_S / 2 then
      local alert, entity, key = id:match("^([^|]+)|([^|]+)|(.+)$")
      alerts.release(alert, { entity = entity, value = key })
      engaged[id] = nil
    end
  end
end

return flood
