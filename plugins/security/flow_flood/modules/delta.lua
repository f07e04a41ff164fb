-- Per-element increases of cumulative counters between two periodic
-- hooks. Snapshots carry counters since the element appeared in vigild,
-- so a per-minute figure is the difference with the previous snapshot,
-- kept here by element key.
local delta = {}

-- Entries not updated for this many seconds are dropped, so elements
-- that vanished do not keep their memory.
local FORGET_AFTER_S = 600
local SWEEP_EVERY = 4096

function delta.new()
  return { prev = {}, seen = {}, calls = 0 }
end

local function sweep(state, now)
  for key, t in pairs(state.seen) do
    if now - t > FORGET_AFTER_S then
      state.seen[key] = nil
      state.prev[key] = nil
    end
  end
end

-- Returns how much <value> grew since the previous call for <key>, or nil
-- when there is no figure to compare yet.
--
-- On the first call for a key, <first_seen> decides: an element that
-- appeared within the last <period> seconds started from zero, so its
-- whole value is this period's; an older one (known to vigild before
-- this sandbox started) only sets the baseline. Pass first_seen = nil for
-- elements that exist from vigild's start (interfaces, networks): they
-- count from zero.
--
-- NOTE: interfaces and networks carry no start time, so after a sandbox
-- restart their first period covers everything since vigild started and
-- can cross a threshold once.
function delta.step(state, key, value, now, period, first_seen)
  local prev = state.prev[key]
  state.prev[key] = value
  state.seen[key] = now
  state.calls = state.calls + 1
  if state.calls % SWEEP_EVERY == 0 then
    sweep(state, now)
  end
  if prev == nil then
    if first_seen == nil or first_seen >= now - period then
      return value
    end
    return nil
  end
  if value < prev then
    -- The counter restarted (the element left vigild's table and came
    -- back): all of it is new.
    return value
  end
  return value - prev
end

return delta
