-- The check shared by the unexpected_*_server scripts: a flow of the
-- service whose server is not in the script's allowed list gets the
-- service's status.
local iplist = require("iplist")

local servers = {}

-- Returns a script table for the service <name> ("dns", "dhcp", "ntp",
-- "smtp"), whose server is found by server_of(flow) (nil: none).
function servers.script(name, l7, server_of)
  local allowed = iplist.new()
  local status = "unexpected_" .. name .. "_server"

  local function check(flow, conf)
    local server = server_of(flow)
    if server ~= nil and not iplist.find(allowed, server) then
      flow:setStatus(status, conf.score, conf.score, 0)
    end
  end

  return {
    key = status,
    title = "Unexpected " .. name:upper() .. " server",
    description = "Flows of " .. name:upper() .. " to a server that is " ..
      "not in the allowed list",
    category = "security",
    filter = { l7 = l7 },
    default_value = {
      enabled = true,
      -- Comma-separated addresses and networks; empty leaves the
      -- script off, since every server would then be unexpected.
      allowed = "",
      score = 50,
    },
    hooks = {
      protocolDetected = check,
    },
    setup = function(conf)
      local invalid = {}
      for _, item in ipairs(iplist.split(conf.allowed)) do
        if not iplist.add(allowed, item) then
          invalid[#invalid + 1] = item
        end
      end
      if #invalid > 0 then
        error(status .. ": allowed: invalid address or network: " ..
              table.concat(invalid, ", "))
      end
      return allowed.count > 0
    end,
  }
end

-- The flow's server, for services whose server answers on <port>.
function servers.by_port(port)
  return function(flow)
    if flow.server_port == port then
      return flow.server_ip
    elseif flow.client_port == port then
      return flow.client_ip
    end
    return nil
  end
end

return servers
