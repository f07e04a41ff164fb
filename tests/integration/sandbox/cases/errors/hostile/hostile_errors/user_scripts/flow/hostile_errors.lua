-- Raises an error from every flow hook and from teardown.
local function fail(name)
  return function(flow, conf) error("failing in " .. name) end
end
return {
  key = "hostile_errors",
  hooks = {
    protocolDetected = fail("protocolDetected"),
    statusChanged = fail("statusChanged"),
    periodicUpdate = fail("periodicUpdate"),
    flowEnd = fail("flowEnd"),
  },
  teardown = function(conf) error("failing in teardown") end,
}
