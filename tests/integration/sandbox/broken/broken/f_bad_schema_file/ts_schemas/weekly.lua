return { { name = "f:x", metrics = { { name = "v", type = "gauge" } } } }
