-- Sets good_seen on every flow event, with the flow's server port as the
-- score so the test can check the value went through.
return {
  key = "good_mark",
  hooks = {
    protocolDetected = function(flow, conf)
      flow:setStatus("good_seen", flow.server_port % 1000)
    end,
  },
}
