-- Allocates without end while the file loads, so the plugin never loads.
-- The failing line ends in a "fails:" comment, which the test looks up.
local kept = {}
local chunk = string.rep("z", 2 ^ 20)
for i = 1, 1e9 do
  kept[#kept + 1] = chunk .. i -- fails: at load
end

return {
  key = "hostile_membomb_load",
  hooks = {
    protocolDetected = function(flow, conf)
    end,
  },
}
