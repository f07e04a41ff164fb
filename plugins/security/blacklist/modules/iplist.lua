-- Sets of IPv4 and IPv6 networks, matched by longest prefix.
--
-- An address becomes a string of '0' and '1' characters, 32 or 128 of
-- them, and a network the first <prefix> characters of its address after
-- the family's length ("32:" or "128:"), kept in one set per prefix
-- length. A lookup tries each prefix length the
-- list holds, so it costs one substring and one table read per distinct
-- length (at most 33 for IPv4 and 129 for IPv6), whatever the list's
-- size.
local iplist = {}

local byte_bits = {}
for value = 0, 255 do
  local bits = {}
  for bit = 7, 0, -1 do
    bits[#bits + 1] = math.floor(value / 2 ^ bit) % 2 == 1 and "1" or "0"
  end
  byte_bits[value] = table.concat(bits)
end

local function ipv4_bits(text)
  local a, b, c, d = text:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if a == nil then
    return nil
  end
  local parts = { tonumber(a), tonumber(b), tonumber(c), tonumber(d) }
  for i = 1, 4 do
    if parts[i] > 255 then
      return nil
    end
    parts[i] = byte_bits[parts[i]]
  end
  return table.concat(parts)
end

local function group_bits(group)
  local value = tonumber(group, 16)
  return byte_bits[math.floor(value / 256)] .. byte_bits[value % 256]
end

-- Returns the 128 bits of an IPv6 address in text form, or nil. An IPv4
-- tail ("::ffff:10.0.0.1") is accepted.
local function ipv6_bits(text)
  if not text:find(":", 1, true) or text:find(":::", 1, true) then
    return nil
  end
  local tail = ""
  local v4 = text:match(":(%d+%.%d+%.%d+%.%d+)$")
  if v4 ~= nil then
    tail = ipv4_bits(v4)
    if tail == nil then
      return nil
    end
    text = text:sub(1, #text - #v4) .. "0:0"
  end
  local head, rest = text:match("^(.-)::(.*)$")
  local groups = {}
  local function split(part, out)
    if part == "" then
      return true
    end
    for group in (part .. ":"):gmatch("([^:]*):") do
      if not group:match("^%x%x?%x?%x?$") then
        return false
      end
      out[#out + 1] = group
    end
    return true
  end
  if head ~= nil then
    local left, right = {}, {}
    if not split(head, left) or not split(rest, right) or
        #left + #right > 7 then
      return nil
    end
    for _, g in ipairs(left) do groups[#groups + 1] = g end
    for _ = 1, 8 - #left - #right do groups[#groups + 1] = "0" end
    for _, g in ipairs(right) do groups[#groups + 1] = g end
  elseif not split(text, groups) or #groups ~= 8 then
    return nil
  end
  local bits = {}
  for i = 1, 8 do
    bits[i] = group_bits(groups[i])
  end
  local all = table.concat(bits)
  if tail ~= "" then
    all = all:sub(1, 96) .. tail
  end
  return all
end

-- Returns the bits of address <text>, or nil when it is not an address.
function iplist.bits(text)
  return ipv4_bits(text) or ipv6_bits(text)
end

function iplist.new()
  return { by_length = {}, lengths = {}, count = 0 }
end

-- Adds "address" or "address/prefix" to <list>; false when invalid.
function iplist.add(list, entry)
  local address, prefix = entry:match("^([^/]+)/(%d+)$")
  if address == nil then
    address = entry
  end
  local bits = iplist.bits(address)
  if bits == nil then
    return false
  end
  local length = prefix and tonumber(prefix) or #bits
  if length > #bits then
    return false
  end
  local set = list.by_length[length]
  if set == nil then
    set = {}
    list.by_length[length] = set
    list.lengths[#list.lengths + 1] = length
    table.sort(list.lengths, function(a, b) return a > b end)
  end
  local key = #bits .. ":" .. bits:sub(1, length)
  if not set[key] then
    set[key] = entry
    list.count = list.count + 1
  end
  return true
end

-- Returns the list entry that contains address <text> (the longest
-- prefix), or nil.
function iplist.find(list, text)
  local bits = iplist.bits(text)
  if bits == nil then
    return nil
  end
  for _, length in ipairs(list.lengths) do
    if length <= #bits then
      local entry = list.by_length[length][#bits .. ":" .. bits:sub(1, length)]
      if entry ~= nil then
        return entry
      end
    end
  end
  return nil
end

-- Splits a comma-separated option into its trimmed, non-empty items.
function iplist.split(text)
  local items = {}
  for item in tostring(text):gmatch("[^,]+") do
    item = item:match("^%s*(.-)%s*$")
    if item ~= "" then
      items[#items + 1] = item
    end
  end
  return items
end

return iplist
