-- Spins forever and catches every error, including the budget's, to keep
-- going. The budget raises on every instruction once exceeded, so the
-- error escapes at the first instruction outside the pcall.
return {
  key = "hostile_pcall_loop",
  hooks = {
    protocolDetected = function(flow, conf)
      while true do
        pcall(function()
          while true do end
        end)
      end
    end,
  },
}
