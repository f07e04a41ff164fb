-- Helpers shared by the example's scripts, loaded with require("match").
local match = {}

-- Returns true when string s ends with suffix.
function match.ends_with(s, suffix)
  return suffix ~= "" and #s >= #suffix and s:sub(-#suffix) == suffix
end

-- Returns true for "TLS" and nDPI names with TLS as one part ("TLS.Google").
function match.is_tls(l7)
  for part in l7:gmatch("[^.]+") do
    if part == "TLS" then
      return true
    end
  end
  return false
end

return match
