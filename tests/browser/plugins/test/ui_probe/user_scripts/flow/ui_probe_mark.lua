-- Sets ui_probe_marked on TCP flows whose server name (HTTP Host or TLS
-- SNI) contains conf.marker, which raises one flow alert per such flow.
return {
  key = "ui_probe_mark",
  title = "Marked server names",
  filter = { l4 = { "TCP" } },
  default_value = { enabled = true, marker = "watch" },
  hooks = {
    protocolDetected = function(flow, conf)
      if flow.server_name:find(conf.marker, 1, true) then
        flow:setStatus("ui_probe_marked")
      end
    end,
  },
}
