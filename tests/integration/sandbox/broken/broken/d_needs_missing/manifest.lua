return {
  title = "Needs a plugin that is not there",
  dependencies = { "not_here" },
}
