-- Flow and host tables near capacity. When vigild reports the table
-- sizes (flows_capacity, hosts_capacity), alert while the share in use
-- passes the threshold, by default 90%. A table that was full during the
-- minute (flows_table_full or hosts_table_full grew: new flows or hosts
-- went untracked) always raises it.
--
-- NOTE: active_hosts and the capacities read 0 from a vigild that does
-- not report them; then only the table-full counters are checked.
local previous = {}

local function grown(key, value)
  local before = previous[key]
  previous[key] = value
  if before == nil or value < before then
    return value
  end
  return value - before
end

local function check(iface, conf, alert, table_name, used, capacity, full)
  local rejected = grown(iface.key .. "|" .. table_name, full)
  local usage = capacity > 0 and used / capacity or 0
  if rejected > 0 or vigil.exceeds(usage, conf) then
    iface:triggerAlert(alert, {
      score = conf.score,
      details = {
        used = used,
        capacity = capacity,
        usage = usage,
        rejected = rejected,
        threshold = conf.threshold,
      },
    })
  else
    iface:releaseAlert(alert)
  end
end

return {
  key = "table_capacity",
  title = "Flow and host tables",
  description = "Flow and host tables that are nearly or completely full",
  category = "system",
  default_value = {
    enabled = true,
    threshold = 0.9,     -- share of the table in use
    operator = "ge",
    score = 50,
  },
  hooks = {
    min = function(iface, conf)
      check(iface, conf, "flow_table_full", "flows", iface.active_flows,
            iface.flows_capacity, iface.flows_table_full)
      check(iface, conf, "host_table_full", "hosts", iface.active_hosts,
            iface.hosts_capacity, iface.hosts_table_full)
    end,
  },
}
