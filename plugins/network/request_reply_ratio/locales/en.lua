-- English strings of the request/reply ratio plugin.
return {
  request_reply_ratio = {
    title = "Request/reply ratio",
  },
}
