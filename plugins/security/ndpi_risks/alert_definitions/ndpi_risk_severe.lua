-- Raised with the status of each risk nDPI 4.2 rates Severe.
return {
  key = "ndpi_risk_severe",
  title = "Flow with a severe-severity nDPI risk",
  description = "nDPI reported a risk it rates Severe on the flow; " ..
    "the status names the risk",
  severity = "critical",
}
