-- Helpers shared by the example's scripts, loaded with require("match").
local match = {}

-- Returns true when string s ends with suffix.
function match.ends_with(s, suffix)
  return suffix ~= "" and #s >= #suffix and s:sub(-#suffix) == suffix
end

-- Returns true when TLS is the flow's master or app protocol: "TLS",
-- "TLS.Google" and "DNS.TLS".
function match.is_tls(flow)
  return flow.l7_master == "TLS" or flow.l7_app == "TLS"
end

return match
