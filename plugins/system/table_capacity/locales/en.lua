-- English strings of the table capacity plugin.
return {
  table_capacity = {
    title = "Table capacity",
  },
}
