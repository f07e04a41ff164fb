return { title = "Syntax error in a script" }
