-- The plugin's entry in the web interface's menu.
return {
  label = "UI probe",
  page = "overview.lua",
  sort_order = 10,
}
