-- Triggers a million alerts in one hook call, and one alert a million
-- times, which must be sent once.
return {
  key = "hostile_alertflood",
  hooks = {
    protocolDetected = function(flow, conf)
      if flow.server_port == 1 then
        for i = 1, 1e6 do
          alerts.trigger("hostile_flood", {
            entity = "host", value = "10." .. i .. "@0", score = 1,
          })
        end
      else
        for i = 1, 1e6 do
          alerts.trigger("hostile_flood", {
            entity = "host", value = "10.0.0.1@0", score = 1,
          })
        end
      end
    end,
  },
}
