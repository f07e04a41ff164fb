-- Event batches vigild dropped for this sandbox in a minute because its
-- rings were full: the plugins in it fell behind, and flows or snapshots
-- went unchecked. Each sandbox reports its own losses.
local last = nil

return {
  key = "events_lost",
  title = "Events lost to a sandbox",
  description = "Event batches dropped for this sandbox in a minute",
  category = "system",
  default_value = {
    enabled = true,
    threshold = 0,       -- batches lost in a minute
    operator = "gt",
    score = 50,
  },
  hooks = {
    min = function(system, conf)
      local total = system.events_lost
      local lost = total
      if last ~= nil and total >= last then
        lost = total - last
      end
      last = total
      if vigil.exceeds(lost, conf) then
        system:triggerAlert("events_lost", {
          score = conf.score,
          details = {
            batches_lost = lost,
            total = total,
            threshold = conf.threshold,
            period_s = 60,
          },
        })
      else
        system:releaseAlert("events_lost")
      end
    end,
  },
}
