return { title = "Schema file with an unknown step" }
