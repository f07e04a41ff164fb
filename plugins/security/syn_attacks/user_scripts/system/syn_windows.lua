-- Once a minute: releases the SYN flood and scan alerts of hosts that
-- stayed under their threshold for a whole minute, and drops old counts.
local window = require("window")

return {
  key = "syn_windows",
  title = "SYN check windows",
  description = "Releases SYN flood and scan alerts once hosts are quiet",
  category = "security",
  hooks = {
    min = function(system, conf)
      local now = vigil.time()
      window.release_quiet(now)
      window.release_idle(now)
      window.expire_all(now)
    end,
  },
}
