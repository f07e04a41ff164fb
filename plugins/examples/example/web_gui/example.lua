-- The page behind the menu entry. vigil-web renders it in a page
-- sandbox (vigil-sandbox --page): render() gets the read-only data that
-- vigil-web gathered and returns a title and blocks of plain text, which
-- the browser shows as text, never as markup.
local function count_by(alerts, field)
  local counts = {}
  for _, alert in ipairs(alerts) do
    local key = tostring(alert[field] or "?")
    counts[key] = (counts[key] or 0) + 1
  end
  return counts
end

return {
  title = "Example",
  render = function(data)
    local blocks = {
      { type = "text",
        text = "Flows to watched destinations carry the " ..
          "example_watched_flow status and raise an alert." },
    }

    if data.vigild then
      local c = data.counters or {}
      table.insert(blocks, { type = "kv", title = "Capture", items = {
        { "Active flows", c.active_flows or 0 },
        { "Packets received", c.rx_packets or 0 },
        { "Packet time", os.date("!%Y-%m-%d %H:%M:%S UTC",
                                 math.floor(data.packet_time or 0)) },
      } })
    else
      table.insert(blocks, { type = "text",
        text = "vigild is not answering: " .. (data.vigild_error or "?") })
    end

    if data.alerts == nil then
      table.insert(blocks, { type = "text",
        text = "No alert store is configured." })
    elseif #data.alerts == 0 then
      table.insert(blocks, { type = "text", title = "Latest alerts of this plugin",
        text = "No alerts yet." })
    else
      local rows = {}
      for i, alert in ipairs(data.alerts) do
        if i > 20 then break end
        table.insert(rows, { alert.type, alert.entity_value or "",
                             alert.severity, alert.count or 1 })
      end
      table.insert(blocks, { type = "table",
        title = "Latest alerts of this plugin (" .. #data.alerts .. ")",
        columns = { "Type", "Entity", "Severity", "Count" },
        rows = rows })
      local items = {}
      for type, n in pairs(count_by(data.alerts, "type")) do
        table.insert(items, { type, n })
      end
      table.sort(items, function(a, b) return a[1] < b[1] end)
      table.insert(blocks, { type = "kv", title = "Alerts by type",
                             items = items })
    end
    return { title = "Example plugin", blocks = blocks }
  end,
}
