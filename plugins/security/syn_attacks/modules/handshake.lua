-- How a TCP flow's handshake went, from the TCP flags seen per direction.
local handshake = {}

local SYN, RST, PSH, FIN = 0x02, 0x04, 0x08, 0x01

local function has(flags, bit_value)
  return bit.band(flags, bit_value) ~= 0
end

-- The client sent a SYN that the server never answered with a SYN-ACK
-- (no answer at all, or a reset).
function handshake.unanswered(flow)
  return has(flow.c2s_tcp_flags, SYN) and not has(flow.s2c_tcp_flags, SYN)
end

-- The flow looks like a port probe: an unanswered SYN, or a handshake the
-- client reset at once without sending data (a half-open scan).
function handshake.probe(flow)
  if handshake.unanswered(flow) then
    return true
  end
  local c2s = flow.c2s_tcp_flags
  return has(c2s, SYN) and has(flow.s2c_tcp_flags, SYN) and has(c2s, RST)
    and not has(c2s, PSH) and not has(c2s, FIN) and flow.c2s_packets <= 3
end

function handshake.host_key(ip, vlan)
  return ip .. "@" .. vlan
end

return handshake
