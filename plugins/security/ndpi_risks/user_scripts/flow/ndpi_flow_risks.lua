-- Sets one status per nDPI risk on the flow, with nDPI's score split
-- between client and server. Risks are read when nDPI has classified the
-- flow and again later, since nDPI may add a risk after classification
-- (a TLS certificate seen late, for one). A risk name this table does not
-- know, from an nDPI other than 4.2, is counted in the log once per name.
local risk_table = require("risk_table")

local unknown_seen = {}

local function check(flow, conf)
  local risks = flow.risks
  if #risks == 0 then
    return
  end
  for _, name in ipairs(risks) do
    local risk = risk_table[name]
    if risk == nil then
      if not unknown_seen[name] then
        unknown_seen[name] = true
        print("unknown nDPI risk name=" .. name)
      end
    elseif conf.split_score then
      flow:setStatus(risk.status, nil, risk.client, risk.server)
    else
      flow:setStatus(risk.status)
    end
  end
end

return {
  key = "ndpi_flow_risks",
  title = "nDPI flow risks",
  description = "A status for every risk nDPI reports on a flow",
  category = "security",
  default_value = {
    enabled = true,
    -- Add nDPI's client and server shares of each risk's score to the
    -- hosts' scores.
    split_score = true,
  },
  hooks = {
    protocolDetected = check,
    periodicUpdate = check,
    flowEnd = check,
  },
}
