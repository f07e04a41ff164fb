-- The page behind the menu entry: how many alerts the plugin raised, the
-- server names they quote (traffic strings, shown as they are) and a line
-- of markup that the browser must show as text.
return {
  title = "UI probe overview",
  render = function(data)
    local alerts = data.alerts or {}
    local rows = {}
    for _, alert in ipairs(alerts) do
      local details = alert.details or {}
      table.insert(rows, { alert.type, details.server_name or "", alert.severity })
    end
    table.sort(rows, function(a, b) return a[2] < b[2] end)
    local counters = data.counters or {}
    return {
      blocks = {
        { type = "text", text = "Rendered by the ui_probe page sandbox." },
        { type = "text", title = "Markup as text",
          text = "<b id=\"ui-probe-bold\">bold</b>" ..
            "<img src=x onerror=\"window.__vigilXss='plugin page'\">" },
        { type = "kv", title = "Summary", items = {
          { "Alerts of this plugin", #alerts },
          { "Active flows", counters.active_flows or 0 },
          { "Caller role", data.role or "?" },
        } },
        { type = "table", title = "Marked server names",
          columns = { "Type", "Server name", "Severity" }, rows = rows },
      },
    }
  end,
}
