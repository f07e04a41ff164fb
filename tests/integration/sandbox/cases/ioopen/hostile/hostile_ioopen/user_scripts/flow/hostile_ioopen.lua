-- Tries to read a file, through io and through the loaders of files.
return {
  key = "hostile_ioopen",
  hooks = {
    protocolDetected = function(flow, conf)
      if dofile or loadfile or package or debug then
        flow:setStatus("hostile_ioopen_escaped", 100)
      end
      local f = io.open("/etc/passwd")
      flow:setStatus("hostile_ioopen_escaped", 100)
    end,
  },
}
