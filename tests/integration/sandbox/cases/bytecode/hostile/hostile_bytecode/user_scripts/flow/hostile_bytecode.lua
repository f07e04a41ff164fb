-- Tries to load bytecode, which can corrupt the VM: from string.dump,
-- with an explicit binary mode and through a reader function. Each
-- refusal is reported as the hook's error so the test can read it.
return {
  key = "hostile_bytecode",
  hooks = {
    protocolDetected = function(flow, conf)
      local code = string.dump(function() return 1 end)
      local f, err = load(code)
      if f then flow:setStatus("hostile_bytecode_escaped", 100) end
      local g, err2 = load(code, "x", "b")
      if g then flow:setStatus("hostile_bytecode_escaped", 100) end
      local h, err3 = load(function() return nil end)
      if h then flow:setStatus("hostile_bytecode_escaped", 100) end
      local ok = load("return 42", "text", "t")
      if ok == nil or ok() ~= 42 then
        error("text chunks must still load")
      end
      error("refused: " .. tostring(err) .. " | " .. tostring(err2) ..
        " | " .. tostring(err3))
    end,
  },
}
