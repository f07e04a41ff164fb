-- Tries to load the FFI, which would reach every C function.
return {
  key = "hostile_ffi",
  hooks = {
    protocolDetected = function(flow, conf)
      if jit or newproxy or getfenv or setfenv then
        flow:setStatus("hostile_ffi_escaped", 100)
      end
      local ffi = require("ffi")
      flow:setStatus("hostile_ffi_escaped", 100)
    end,
  },
}
