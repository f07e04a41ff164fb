-- Marks flows that nDPI puts in its Mining category: the Mining protocol
-- (Bitcoin, Ethereum and stratum pools) and the web miners nDPI knows by
-- host name. Mining on a company network is usually malware or an abuse
-- of its power bill, so the client gets the score.
local function is_mining(flow)
  if flow.category == "Mining" then
    return true
  end
  return flow.l7_master == "Mining" or flow.l7_app == "Mining"
end

local function check(flow, conf)
  if is_mining(flow) then
    flow:setStatus("web_mining_flow", conf.score, conf.score, 0)
  end
end

return {
  key = "web_mining",
  title = "Web mining",
  description = "Flows nDPI classifies as cryptocurrency mining",
  category = "security",
  default_value = {
    enabled = true,
    score = 100,
  },
  hooks = {
    protocolDetected = check,
  },
}
