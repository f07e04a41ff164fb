-- Marks flows whose client or server address is in one of the IP lists
-- named by conf.lists: files of addresses and networks (CIDR), one a
-- line, read once at start. vigild restarts the sandbox on reload, which
-- reads the lists again.
--
-- NOTE: the lists are read in setup(), which has a 1 s budget, and kept
-- in the plugin's Lua heap: lists of a few hundred thousand entries fit,
-- millions do not.
local iplist = require("iplist")
local lists = require("lists")

local blocked = iplist.new()

local function check(flow, conf)
  if iplist.find(blocked, flow.client_ip) then
    flow:setStatus("blacklisted_client", conf.score, 0, conf.score)
  end
  if iplist.find(blocked, flow.server_ip) then
    flow:setStatus("blacklisted_server", conf.score, conf.score, 0)
  end
end

return {
  key = "blacklisted_hosts",
  title = "Blacklisted hosts",
  description = "Flows from or to an address in the configured IP lists",
  category = "security",
  default_value = {
    enabled = true,
    lists = "",      -- comma-separated absolute paths
    score = 100,
  },
  hooks = {
    protocolDetected = check,
  },
  -- Without a list there is nothing to match: the script stays off.
  setup = function(conf)
    local added, skipped = lists.load(conf.lists, blocked, iplist.add)
    if added == 0 then
      return false
    end
    print(string.format("blacklisted_hosts: networks=%d skipped=%d",
                        added, skipped))
    return true
  end,
}
