return { key = "hostile_pcall_loop_escaped", title = "The sandbox let the hostile code through", score = 100 }
