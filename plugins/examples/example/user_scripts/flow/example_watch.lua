-- Sets example_watched_flow on TLS flows whose server name ends with
-- conf.tls_suffix and on UDP flows to conf.udp_port. The status names an
-- alert, so vigild also stores a flow alert for each of them.
local match = require("match")

local function check(flow, conf)
  if flow.l4 == "TCP" and match.is_tls(flow) and
      match.ends_with(flow.server_name, conf.tls_suffix) then
    -- The client gets most of the score: it chose the destination.
    flow:setStatus("example_watched_flow", conf.score, conf.score, 0)
  elseif flow.l4 == "UDP" and flow.server_port == conf.udp_port then
    flow:setStatus("example_watched_flow", conf.score)
  end
end

return {
  key = "example_watch",
  title = "Watched destinations",
  filter = { l4 = { "TCP", "UDP" } },
  default_value = {
    enabled = true,
    tls_suffix = ".example.com",
    udp_port = 5000,
    score = 50,
  },
  hooks = {
    protocolDetected = check,
    periodicUpdate = check,
  },
  -- Refuses to run with a port that cannot match anything.
  setup = function(conf)
    return conf.udp_port >= 1 and conf.udp_port <= 65535
  end,
}
