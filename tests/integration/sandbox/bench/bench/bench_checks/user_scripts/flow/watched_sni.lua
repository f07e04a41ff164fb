-- TLS flows to a watched domain suffix.
return {
  key = "bench_watched_sni",
  filter = { l4 = { "TCP" }, l7 = { "TLS" } },
  default_value = { suffix = ".watched.example" },
  hooks = {
    protocolDetected = function(flow, conf)
      local sni = flow.server_name
      if #sni >= #conf.suffix and sni:sub(-#conf.suffix) == conf.suffix then
        flow:setStatus("bench_watched_sni")
      end
    end,
  },
}
