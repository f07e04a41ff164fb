return { key = "hostile_ioopen_escaped", title = "The sandbox let the hostile code through", score = 100 }
