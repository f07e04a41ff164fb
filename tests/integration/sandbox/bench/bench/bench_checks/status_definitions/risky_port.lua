return { key = "bench_risky_port", title = "risky_port", score = 10 }
