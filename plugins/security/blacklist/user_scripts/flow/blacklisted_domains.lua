-- Marks flows whose server name (DNS query, HTTP host, TLS SNI) is a
-- domain in one of the lists named by conf.lists, or under one.
--
-- NOTE: like the IP lists, domain lists are read in setup() with a 1 s
-- budget and kept in the plugin's Lua heap.
local domains = require("domains")
local lists = require("lists")

local blocked = domains.new()

local function check(flow, conf)
  local name = flow.server_name
  if name ~= "" and domains.find(blocked, name) then
    flow:setStatus("blacklisted_domain", conf.score, conf.score, 0)
  end
end

return {
  key = "blacklisted_domains",
  title = "Blacklisted domains",
  description = "Flows to a server name in the configured domain lists",
  category = "security",
  default_value = {
    enabled = true,
    lists = "",      -- comma-separated absolute paths
    score = 100,
  },
  hooks = {
    protocolDetected = check,
    flowEnd = check,
  },
  setup = function(conf)
    local added, skipped = lists.load(conf.lists, blocked, domains.add)
    if added == 0 then
      return false
    end
    print(string.format("blacklisted_domains: domains=%d skipped=%d",
                        added, skipped))
    return true
  end,
}
