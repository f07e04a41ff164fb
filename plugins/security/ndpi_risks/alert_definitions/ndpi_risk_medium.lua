-- Raised with the status of each risk nDPI 4.2 rates Medium.
return {
  key = "ndpi_risk_medium",
  title = "Flow with a medium-severity nDPI risk",
  description = "nDPI reported a risk it rates Medium on the flow; " ..
    "the status names the risk",
  severity = "warning",
}
