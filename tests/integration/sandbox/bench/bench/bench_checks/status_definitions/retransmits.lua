return { key = "bench_retransmits", title = "retransmits", score = 10 }
