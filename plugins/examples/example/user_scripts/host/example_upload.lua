-- Triggers example_host_upload while a local host sends more than the
-- threshold in one minute, and releases it in the first minute the host
-- stays under. Snapshots carry a host's totals, so the script keeps the
-- total it saw last time for each host (plugins keep per-element state:
-- a host always meets the same sandbox) and works on the difference.
-- The sandbox remembers engaged alerts, so triggering every minute while
-- the host stays over sends one alert, not one a minute.
local last_sent = {}

return {
  key = "example_upload",
  title = "Hosts that send too much in a minute",
  local_only = true,
  default_value = {
    enabled = true,
    threshold = 100000000,
    operator = "gt",
  },
  hooks = {
    min = function(host, conf)
      local key = host.key
      local total = host.bytes_sent
      local sent = total - (last_sent[key] or 0)
      last_sent[key] = total
      if vigil.exceeds(sent, conf) then
        host:triggerAlert("example_host_upload", {
          score = 20,
          details = {
            bytes_sent = sent,
            threshold = conf.threshold,
          },
        })
      else
        host:releaseAlert("example_host_upload")
      end
    end,
  },
}
