-- UDP flows that got no reply: the client's packet count passes the
-- threshold (by default 5 or more) and the unicast server sent nothing
-- back. Such flows come from scans, from services that went down, and
-- from traffic the other side drops. Broadcast and multicast servers
-- never reply on the same flow, so they are left out.
--
-- NOTE: the plugin does not know prefix lengths, so any IPv4 address
-- ending in .255 is taken for a subnet broadcast. A host numbered .255 in
-- a larger subnet is therefore not checked.
local function is_group_address(ip)
  if ip == "255.255.255.255" or ip:match("%.255$") then
    return true
  end
  local first = tonumber(ip:match("^(%d+)%."))
  if first ~= nil then
    return first >= 224 and first <= 239
  end
  return ip:lower():match("^ff") ~= nil
end

-- On a live port vigild writes a flow's record without waiting for its
-- flowEnd results, so there a flow that ends within
-- flows.periodic_update carries the status in its flow alert only.
local function check(flow, conf)
  if flow.s2c_packets == 0 and vigil.exceeds(flow.c2s_packets, conf) and
      not is_group_address(flow.server_ip) then
    flow:setStatus("unidirectional_udp_flow")
  end
end

return {
  key = "unidirectional_udp",
  title = "Unidirectional UDP",
  description = "UDP flows to a unicast server that never replied",
  category = "network",
  filter = { l4 = { "UDP" } },
  default_value = {
    enabled = true,
    threshold = 5,       -- client packets of a flow with no reply
    operator = "ge",
  },
  hooks = {
    periodicUpdate = check,
    flowEnd = check,
  },
}
