-- Packets an interface lost in a minute: dropped by the NIC (imissed, its
-- queues were full) or between rx and engine lcores (ring_full, an engine
-- lcore fell behind). Alert while the minute's drops pass the threshold,
-- by default any drop at all, as a share of the packets received.
local previous = {}

local function grown(key, name, value)
  local prev = previous[key]
  if prev == nil then
    prev = {}
    previous[key] = prev
  end
  local before = prev[name]
  prev[name] = value
  if before == nil or value < before then
    return value
  end
  return value - before
end

return {
  key = "packet_drops",
  title = "Dropped packets",
  description = "Packets an interface dropped in a minute, as a share " ..
    "of the packets it received",
  category = "system",
  default_value = {
    enabled = true,
    threshold = 0,       -- dropped / (received + dropped)
    operator = "gt",
    score = 50,
  },
  hooks = {
    min = function(iface, conf)
      local key = iface.key
      local missed = grown(key, "imissed", iface.imissed)
      local ring_full = grown(key, "ring_full", iface.ring_full)
      local packets = grown(key, "packets", iface.packets)
      local dropped = missed + ring_full
      local share = 0
      if dropped > 0 then
        share = dropped / (packets + dropped)
      end
      if vigil.exceeds(share, conf) then
        iface:triggerAlert("packet_drops", {
          score = conf.score,
          details = {
            imissed = missed,
            ring_full = ring_full,
            packets = packets,
            drop_ratio = share,
            threshold = conf.threshold,
            period_s = 60,
          },
        })
      else
        iface:releaseAlert("packet_drops")
      end
    end,
  },
}
