return { key = "bench_watched_sni", title = "watched_sni", score = 10 }
