-- Sets h_status, whose alert z_fine defines, on every flow.
return { key = "h_mark", hooks = { protocolDetected = function(flow) flow:setStatus("h_status") end } }
