return { key = "hostile_loop_escaped", title = "The sandbox let the hostile code through", score = 100 }
