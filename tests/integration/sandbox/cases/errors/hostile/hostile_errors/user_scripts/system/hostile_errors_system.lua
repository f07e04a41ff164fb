-- Raises an error from every periodic hook: min and 5mins by name, hour
-- with an error value that is not a string, and day through "all".
return {
  key = "hostile_errors_system",
  hooks = {
    min = function(e, conf) error("failing in system min") end,
    ["5mins"] = function(e, conf) error("failing in system 5mins") end,
    hour = function(e, conf) error({ "not a string" }) end,
    all = function(e, conf, hook) error("failing in system " .. hook) end,
  },
}
