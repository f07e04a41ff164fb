-- Low disk space on the file system of vigil's data directory (alerts,
-- timeseries, flow records): alert while the free share of it passes the
-- threshold, by default under 10%. A snapshot with disk_total_bytes 0
-- comes from a vigild that did not measure the file system, and is
-- skipped rather than read as a full disk.
return {
  key = "disk_space",
  title = "Disk space",
  description = "Free space of the data directory's file system",
  category = "system",
  default_value = {
    enabled = true,
    threshold = 0.1,     -- free fraction of the file system
    operator = "lt",
    score = 50,
  },
  hooks = {
    min = function(system, conf)
      if system.disk_total_bytes == 0 then
        return
      end
      local free = system.disk_free_ratio
      if vigil.exceeds(free, conf) then
        system:triggerAlert("disk_space_low", {
          score = conf.score,
          details = {
            free_ratio = free,
            total_bytes = system.disk_total_bytes,
            threshold = conf.threshold,
            operator = conf.operator,
          },
        })
      else
        system:releaseAlert("disk_space_low")
      end
    end,
  },
}
