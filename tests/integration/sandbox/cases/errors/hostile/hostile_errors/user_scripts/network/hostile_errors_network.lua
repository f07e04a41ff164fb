-- Raises an error from every periodic hook: min and 5mins by name, hour
-- with an error value that is not a string, and day through "all".
return {
  key = "hostile_errors_network",
  hooks = {
    min = function(e, conf) error("failing in network min") end,
    ["5mins"] = function(e, conf) error("failing in network 5mins") end,
    hour = function(e, conf) error({ "not a string" }) end,
    all = function(e, conf, hook) error("failing in network " .. hook) end,
  },
}
