-- The flow's server name is in a configured domain list.
return {
  key = "blacklisted_domain",
  title = "Blacklisted domain",
  description = "The server name is, or is under, a domain in one of the " ..
    "configured domain lists",
  alert = "blacklisted_domain_contact",
  score = 100,
}
