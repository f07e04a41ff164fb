return {
  key = "a_syntax",
  hooks = {
    protocolDetected = function(flow) if then end,
  },
}
