-- The plugin's entry in the web interface's menu.
return {
  label = "Example",
  page = "example.lua",
  sort_order = 100,
}
