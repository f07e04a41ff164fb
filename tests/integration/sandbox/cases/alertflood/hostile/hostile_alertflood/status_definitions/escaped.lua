return { key = "hostile_alertflood_escaped", title = "The sandbox let the hostile code through", score = 100 }
