-- Every flow gets test_flow_seen, which raises one flow alert. A flow to
-- port 5001 engages test_host_alert for its client. A flow to port 5002
-- engages it and releases it at once, which releases after a restart of
-- vigild a host alert engaged before it.
local function detected(flow)
  flow:setStatus("test_flow_seen")
  local host = { entity = "host", value = flow.client_ip .. "@0",
                 details = { reason = "test" } }
  if flow.server_port == 5001 or flow.server_port == 5002 then
    alerts.trigger("test_host_alert", host)
  end
  if flow.server_port == 5002 then
    alerts.release("test_host_alert", host)
  end
end

return {
  key = "alert_test",
  title = "Alert test",
  hooks = { protocolDetected = detected },
}
