return { key = "hostile_recursion_escaped", title = "The sandbox let the hostile code through", score = 100 }
