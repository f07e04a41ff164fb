-- English strings of the disabled plugins plugin.
return {
  plugin_disabled = {
    title = "Disabled plugins",
  },
}
