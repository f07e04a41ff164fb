return { key = "hostile_bytecode_escaped", title = "The sandbox let the hostile code through", score = 100 }
