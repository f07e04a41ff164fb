return { key = "bench_flow_risk", title = "flow_risk", score = 10 }
