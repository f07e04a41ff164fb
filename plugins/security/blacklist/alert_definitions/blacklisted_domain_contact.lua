-- Raised with blacklisted_domain.
return {
  key = "blacklisted_domain_contact",
  title = "Flow to a blacklisted domain",
  description = "A flow named a server in a configured domain list",
  severity = "error",
}
