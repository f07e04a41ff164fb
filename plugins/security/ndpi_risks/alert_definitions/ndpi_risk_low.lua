-- Raised with the status of each risk nDPI 4.2 rates Low.
return {
  key = "ndpi_risk_low",
  title = "Flow with a low-severity nDPI risk",
  description = "nDPI reported a risk it rates Low on the flow; " ..
    "the status names the risk",
  severity = "notice",
}
