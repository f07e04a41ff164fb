-- A flow to port 5003 raises, for its client, test_array_details with the
-- sequence {client IP, server port} and test_object_details with the
-- table {client = client IP, port = server port}.
local function detected(flow)
  if flow.server_port ~= 5003 then
    return
  end
  local value = flow.client_ip .. "@0"
  alerts.trigger("test_array_details", {
    entity = "host", value = value,
    details = { flow.client_ip, flow.server_port },
  })
  alerts.trigger("test_object_details", {
    entity = "host", value = value,
    details = { client = flow.client_ip, port = flow.server_port },
  })
end

return {
  key = "details_test",
  title = "Details test",
  hooks = { protocolDetected = detected },
}
