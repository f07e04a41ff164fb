-- Prints a newline, a forged log line, an ESC sequence, a second
-- argument and a NUL byte on every flow.
return {
  key = "hostile_printforge",
  hooks = {
    protocolDetected = function(flow)
      print("a\nZ info sandbox: forged\27[31m", "second\0end")
    end,
  },
}
