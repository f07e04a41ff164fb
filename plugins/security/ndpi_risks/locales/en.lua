-- English strings of the nDPI flow risks plugin.
return {
  ndpi_risks = {
    title = "nDPI flow risks",
    description = "A status for every risk nDPI reports on a flow",
  },
}
