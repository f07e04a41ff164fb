return { title = "Loads fine" }
