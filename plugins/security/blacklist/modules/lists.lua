-- Loads the list files named in a script's configuration into a set.
local iplist = require("iplist")

local lists = {}

-- Reads every file in the comma-separated <paths> with vigil.read_list()
-- and adds each entry with add(set, entry). Returns the number of entries
-- added and of entries or lines skipped. Only from setup().
function lists.load(paths, set, add)
  local added, skipped = 0, 0
  for _, path in ipairs(iplist.split(paths)) do
    local entries, invalid = vigil.read_list(path)
    skipped = skipped + invalid
    for _, entry in ipairs(entries) do
      if add(set, entry) then
        added = added + 1
      else
        skipped = skipped + 1
      end
    end
  end
  return added, skipped
end

return lists
