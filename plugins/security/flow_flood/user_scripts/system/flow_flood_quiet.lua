-- Once a minute: releases the flow flood alerts of hosts and networks
-- that were idle for the whole minute.
local flood = require("flood")

return {
  key = "flow_flood_quiet",
  title = "Flow flood releases",
  description = "Releases flow flood alerts of elements that went idle",
  category = "security",
  hooks = {
    min = function(system, conf)
      flood.release_quiet(vigil.time())
    end,
  },
}
