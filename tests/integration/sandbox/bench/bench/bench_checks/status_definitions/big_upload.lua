return { key = "bench_big_upload", title = "big_upload", score = 10 }
