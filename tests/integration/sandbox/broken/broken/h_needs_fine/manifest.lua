return { title = "Depends on z_fine", dependencies = { "z_fine" } }
