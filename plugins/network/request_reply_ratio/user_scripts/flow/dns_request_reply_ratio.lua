-- A host whose DNS queries in a minute got too few replies: the ratio of
-- replies to requests passes the threshold (by default under 0.5) once
-- the host sent at least conf.min_requests queries. Unanswered DNS comes
-- from malware probing resolvers, DNS tunnels and broken resolvers. Each
-- packet of a DNS flow is one message, so packets count messages.
--
-- NOTE: only DNS is checked. ntopng also rates HTTP requests against
-- replies, but flow events carry packet counts, not HTTP request and
-- response counts, so an HTTP check would guess.
local ratio = require("ratio")

return {
  key = "dns_request_reply_ratio",
  title = "DNS request/reply ratio",
  description = "Hosts whose DNS queries in a minute got too few replies",
  category = "network",
  filter = { l7 = { "DNS" } },
  default_value = {
    enabled = true,
    threshold = 0.5,     -- replies per request
    operator = "lt",
    min_requests = 20,   -- queries in the minute before the ratio counts
    score = 20,
  },
  hooks = {
    flowEnd = function(flow, conf)
      local host = flow.client_ip .. "@" .. flow.vlan
      local w, start = ratio.add(host, flow.first_seen, flow.c2s_packets,
                                 flow.s2c_packets)
      if w.requests < conf.min_requests then
        return
      end
      local replies_per_request = w.replies / w.requests
      if vigil.exceeds(replies_per_request, conf) then
        alerts.trigger("dns_request_reply_ratio", {
          entity = "host",
          value = host,
          score = conf.score,
          details = {
            requests = w.requests,
            replies = w.replies,
            ratio = replies_per_request,
            threshold = conf.threshold,
            operator = conf.operator,
            window_start = start,
          },
        })
        local last = ratio.engaged[host]
        if last == nil or start > last then
          ratio.engaged[host] = start
        end
      end
    end,
  },
}
