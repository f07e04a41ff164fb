-- Raised with the status of each risk nDPI 4.2 rates High.
return {
  key = "ndpi_risk_high",
  title = "Flow with a high-severity nDPI risk",
  description = "nDPI reported a risk it rates High on the flow; " ..
    "the status names the risk",
  severity = "error",
}
