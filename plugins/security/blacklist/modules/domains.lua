-- Sets of domain names, matched on the name and each parent domain, so an
-- entry "example.com" (also written "*.example.com" or ".example.com")
-- matches "example.com" and "www.example.com", never "badexample.com".
local domains = {}

function domains.new()
  return { names = {}, count = 0 }
end

local function normalize(name)
  name = name:lower()
  name = name:gsub("%.$", "")
  return name
end

-- Adds <entry> to <set>; false when it holds no name.
function domains.add(set, entry)
  local name = normalize(entry):gsub("^%*?%.", "")
  if name == "" or name:find("[^%w%.%-_]") then
    return false
  end
  if not set.names[name] then
    set.names[name] = true
    set.count = set.count + 1
  end
  return true
end

-- Returns the entry that <name> or one of its parent domains is, or nil.
function domains.find(set, name)
  if name == nil or name == "" then
    return nil
  end
  name = normalize(name)
  while true do
    if set.names[name] then
      return name
    end
    local dot = name:find(".", 1, true)
    if dot == nil then
      return nil
    end
    name = name:sub(dot + 1)
  end
end

return domains
