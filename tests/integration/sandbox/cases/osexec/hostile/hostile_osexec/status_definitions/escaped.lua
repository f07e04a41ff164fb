return { key = "hostile_osexec_escaped", title = "The sandbox let the hostile code through", score = 100 }
