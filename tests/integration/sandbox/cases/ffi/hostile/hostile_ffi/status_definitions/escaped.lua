return { key = "hostile_ffi_escaped", title = "The sandbox let the hostile code through", score = 100 }
