return { key = "hostile_membomb_escaped", title = "The sandbox let the hostile code through", score = 100 }
