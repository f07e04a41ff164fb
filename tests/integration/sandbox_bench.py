"""Plugin events per second: one sandbox, five flow scripts.

vigil must handle at least 200 000 flow events a second through one
sandbox running five flow scripts. This benchmark floods vigil-sandbox, through
vigil-sandbox-drive, with TLS flows that every script reads and none
matches (the common case), then with flows two scripts mark with a
status each, and prints both rates, with the JIT off (the default) and
on; it fails when the common case with the JIT off is under the floor. The
driver builds batches from a parsed template and runs on another CPU, so
the rate is the sandbox's, as long as two CPUs are free.
"""
from sandbox_common import Checks, data_dir, drive, programs

DRIVER, SANDBOX, ROOT = programs()
FLOOR = 200000
EVENTS = 500000
c = Checks()

common = ("hook=protocolDetected l4=TCP client_ip=10.0.0.1 "
          "server_ip=93.184.216.34 server_port=443 l7=TLS.Google "
          "c2s_packets=10 s2c_packets=12 c2s_bytes=1500 s2c_bytes=20000 "
          "retransmissions=0")
cases = (("no match", "server_name=www.example.com"),
         ("two statuses each",
          "server_name=a.watched.example risks=TLS%20Self-signed%20Certificate"))

for jit in ((), ("--jit", "all")):
    for name, extra in cases:
        run = drive(DRIVER, SANDBOX, [data_dir(ROOT, "bench")],
                    [f"flood n={EVENTS} batch=256 {common} {extra}"],
                    args=list(jit),
                    drive_args=["--result-bytes", str(64 << 20)],
                    timeout=600)
        rate = run.of("rate")
        if not c.check(rate and rate[0]["synced"], f"{name}: flood finished"):
            continue
        r = rate[0]
        mode = "jit on" if jit else "jit off"
        print(f"{name}, {mode}: {r['events_per_sec']:.0f} events/s "
              f"({r['events']} events in {r['seconds']:.2f} s, "
              f"{r['statuses']} statuses, {r['errors']} errors)")
        c.equal(r["errors"], 0, f"{name}, {mode}: errors")
        want = 0 if name == "no match" else 2 * EVENTS
        c.equal(r["statuses"], want, f"{name}, {mode}: statuses")
        if name == "no match" and not jit:
            c.check(r["events_per_sec"] >= FLOOR,
                    f"{r['events_per_sec']:.0f} events/s is under the "
                    f"floor of {FLOOR}")

c.finish()
