-- Triggers example_host_upload while a local host's bytes_sent is over
-- the threshold, and releases it once the host is back under. The
-- sandbox remembers engaged alerts, so triggering every minute while the
-- host stays over sends one alert, not one a minute.
return {
  key = "example_upload",
  title = "Hosts that send too much",
  local_only = true,
  default_value = {
    enabled = true,
    threshold = 1000000000,
    operator = "gt",
  },
  hooks = {
    min = function(host, conf)
      if vigil.exceeds(host.bytes_sent, conf) then
        host:triggerAlert("example_host_upload", {
          score = 20,
          details = {
            bytes_sent = host.bytes_sent,
            threshold = conf.threshold,
          },
        })
      else
        host:releaseAlert("example_host_upload")
      end
    end,
  },
}
