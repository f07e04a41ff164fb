-- English strings of the events lost plugin.
return {
  events_lost = {
    title = "Events lost",
  },
}
