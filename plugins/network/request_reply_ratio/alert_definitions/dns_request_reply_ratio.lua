-- Engaged while a host's DNS queries get too few replies.
return {
  key = "dns_request_reply_ratio",
  title = "DNS requests without replies",
  description = "The host's DNS queries in a minute got fewer replies " ..
    "than the threshold allows; released after a minute within it",
  severity = "warning",
}
