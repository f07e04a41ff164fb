-- English strings of the web mining plugin.
return {
  web_mining = {
    title = "Web mining",
  },
}
