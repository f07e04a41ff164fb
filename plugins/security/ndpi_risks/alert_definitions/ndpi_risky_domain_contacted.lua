-- Raised with ndpi_risky_domain: the flow's server name is in the risky
-- domain list vigild gave nDPI (--risky-domains, ndpi.risky_domains).
return {
  key = "ndpi_risky_domain_contacted",
  title = "Contact with a risky domain",
  description = "The flow's server name is in nDPI's risky domain list",
  severity = "error",
}
