-- Setting this status on a flow also raises the flow alert it names.
return {
  key = "example_watched_flow",
  title = "Watched destination",
  description = "The flow goes to a destination the example plugin watches",
  alert = "example_watched_destination",
  score = 50,
}
