-- English strings of the thresholds plugin.
return {
  thresholds = {
    title = "Thresholds",
    operators = {
      gt = "greater than",
      ge = "greater than or equal to",
      lt = "less than",
      le = "less than or equal to",
      eq = "equal to",
    },
  },
}
