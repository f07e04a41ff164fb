-- Tries to run a program and to reach the rest of os.
return {
  key = "hostile_osexec",
  hooks = {
    protocolDetected = function(flow, conf)
      if os.getenv or os.exit or os.remove then
        flow:setStatus("hostile_osexec_escaped", 100)
      end
      os.execute("touch /tmp/vigil-sandbox-hostile-osexec")
      flow:setStatus("hostile_osexec_escaped", 100)
    end,
  },
}
