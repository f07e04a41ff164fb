-- Once a minute: releases request/reply ratio alerts of hosts whose
-- ratio stayed fine for a whole minute, and drops old windows.
local ratio = require("ratio")

return {
  key = "request_reply_minute",
  title = "Request/reply ratio releases",
  description = "Releases request/reply ratio alerts",
  category = "network",
  hooks = {
    min = function(system, conf)
      ratio.minute(vigil.time(), "dns_request_reply_ratio")
    end,
  },
}
