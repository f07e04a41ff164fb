"""The bundled example plugin (plugins/examples/example) through the driver.

The expected results come from the plugin's documented behaviour. TLS
flows whose server name ends with tls_suffix, and UDP flows to udp_port,
get the example_watched_flow status and so its flow alert. Local hosts
that send more than the threshold in a minute (the difference between two
bytes_sent totals) get example_host_upload until a minute under it. Every interface gets one example:iface_traffic point a minute.
Each run changes one thing (defaults, YAML overrides, a setup() refusal)
and checks the exact items that come back.
"""
import json
import os
import shutil
import subprocess
import tempfile

from sandbox_common import Checks, drive, flow, programs

DRIVER, SANDBOX, ROOT = programs()
# The example plugin alone, without the bundled plugins beside it.
PLUGINS = tempfile.mkdtemp(prefix="vigil-example-")
shutil.copytree(os.path.join(ROOT, "plugins", "examples"),
                os.path.join(PLUGINS, "examples"))
T0 = 1700000000000000
c = Checks()


def tls(flow_id, sni, **kw):
    return flow(flow_id, 443, l7="TLS.Google", server_name=sni, **kw)


def run_example(commands, config=None, drive_args=()):
    args = ["--config", config] if config else []
    return drive(DRIVER, SANDBOX, [PLUGINS], commands, args=args,
                 drive_args=drive_args)


def status_map(run):
    return {s["flow_id"]: (s["score"], s["client_score"], s["server_score"])
            for s in run.statuses("example_watched_flow")}


def write_config(text):
    fd, path = tempfile.mkstemp(suffix=".yaml")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


# --- defaults ------------------------------------------------------------
flows = [
    tls(1, "www.example.com"),                      # watched
    tls(2, "example.org"),                          # other suffix
    tls(3, "example.com"),                          # no leading dot
    flow(4, 5000, l4="UDP"),                        # watched port
    flow(5, 5000, l4="TCP"),                        # TCP to the port
    flow(6, 5001, l4="UDP"),                        # other port
    flow(7, 443, l7="HTTP", server_name="a.example.com"),  # not TLS
    # Already carries the status: not sent again.
    tls(8, "b.example.com", hook="periodicUpdate",
        statuses="example_watched_flow"),
]
snap = ["host ip=10.0.0.1 local=1 bytes_sent=200000000",
        "host ip=10.0.0.5 local=0 bytes_sent=200000000",
        "interface name=eth0 packets=100 bytes=64000"]
run = run_example(flows + ["send", "sync"] +
                  snap + [f"send control=1 period=min time_us={T0 + 60000000}",
                          "sync",
                          # 200000001 more in the next minute: still over.
                          "host ip=10.0.0.1 local=1 bytes_sent=400000001",
                          "send control=1 period=min", "sync",
                          # No min hook: the script does not run.
                          "host ip=10.0.0.1 local=1 bytes_sent=400000005",
                          "send control=1 period=5mins", "sync",
                          # 9 bytes in the minute: back under.
                          "host ip=10.0.0.1 local=1 bytes_sent=400000010",
                          f"send control=1 period=min time_us={T0 + 180000000}",
                          "sync"])
c.equal(status_map(run), {1: (50, 50, 0), 4: (50, 0, 0)},
        "defaults: statuses (score, client, server)")
flow_alerts = run.of("alert", entity="flow")
c.equal(sorted(a["flow_id"] for a in flow_alerts), [1, 4],
        "defaults: a flow alert with each status")
for a in flow_alerts:
    c.equal((a["alert_type"], a["severity"], a["score"], a["time_us"]),
            ("example_watched_destination", "warning", 50, T0),
            f"defaults: flow alert {a['flow_id']}")
alert1 = next((a for a in flow_alerts if a["flow_id"] == 1), None)
if alert1:
    c.equal(json.loads(alert1["details_json"]),
            {"status": "example_watched_flow", "l7": "TLS.Google",
             "server_name": "www.example.com"}, "defaults: flow alert details")
    c.equal(alert1["value"], "10.0.0.1:40001-10.0.0.2:443@0",
            "defaults: flow alert value")
host_alerts = run.of("alert", entity="host")
c.equal([(a["value"], a["alert_type"], a["severity"], a["score"], a["time_us"])
         for a in host_alerts],
        [("10.0.0.1@0", "example_host_upload", "notice", 20, T0 + 60000000)],
        "defaults: one upload alert, for the local host only")
if host_alerts:
    c.equal(json.loads(host_alerts[0]["details_json"]),
            {"bytes_sent": 200000000, "threshold": 100000000},
            "defaults: upload alert details")
c.equal([(r["value"], r["alert_type"], r["time_us"]) for r in run.of("release")],
        [("10.0.0.1@0", "example_host_upload", T0 + 180000000)],
        "defaults: released once back under, on a min hook only")
c.equal([(p["schema"], p["tags"], p["metrics"], p["time_us"])
         for p in run.of("point")],
        [("example:iface_traffic", {"ifname": "eth0"},
          {"packets": 100, "bytes": 64000}, T0 + 60000000)],
        "defaults: one timeseries point")
c.equal(run.of("error"), [], "defaults: no errors")
c.equal(run.exit(), {"type": "exit", "code": 0, "signal": 0}, "defaults: exit")

# --- YAML overrides ------------------------------------------------------
config = write_config("""\
capture:
  ports:
    - pcap: /dev/null
plugins:
  directories: [plugins]
  scripts:
    example_watch:
      tls_suffix: ".example.org"
      udp_port: 6000
      score: 70
    example_upload:
      threshold: 100
      operator: ge
    example_traffic:
      enabled: false
""")
run = run_example([tls(1, "www.example.com"), tls(2, "www.example.org"),
                   flow(3, 5000, l4="UDP"), flow(4, 6000, l4="UDP"), "send",
                   "host ip=10.0.0.1 local=1 bytes_sent=100",
                   "host ip=10.0.0.2 local=1 bytes_sent=99",
                   "interface name=eth0 packets=1 bytes=1",
                   "send control=1 period=min", "sync"], config=config)
c.equal(status_map(run), {2: (70, 70, 0), 4: (70, 0, 0)},
        "overrides: suffix, port and score from the YAML")
c.equal([a["value"] for a in run.of("alert", entity="host")], ["10.0.0.1@0"],
        "overrides: threshold 100 with ge")
c.equal(run.of("point"), [], "overrides: disabled script writes nothing")
c.equal(run.of("error"), [], "overrides: no errors")
os.unlink(config)

# --- setup() refuses an impossible port ----------------------------------
config = write_config("plugins:\n  scripts:\n    example_watch:\n"
                      "      udp_port: 0\n")
run = run_example([flow(1, 0, l4="UDP"), tls(2, "www.example.com"), "send",
                   "sync"], config=config)
c.equal(status_map(run), {}, "setup false: the script does not run")
c.check("plugin=example script=example_watch disabled by its setup()"
        in run.stderr, "setup false: logged")
os.unlink(config)

# --- --check -------------------------------------------------------------
proc = subprocess.run([SANDBOX, "--check", "--plugins", PLUGINS],
                      capture_output=True, text=True)
c.equal(proc.returncode, 0, "check: exit 0")
c.equal(proc.stdout, "loaded example: 3 scripts, 2 alerts, 1 statuses, "
        f"1 schemas ({PLUGINS}/examples/example)\n", "check: output")
config = write_config("plugins:\n  scripts:\n    example_watch:\n"
                      "      score: high\n    example_wach:\n"
                      "      enabled: true\n")
proc = subprocess.run([SANDBOX, "--check", "--plugins", PLUGINS, "--config",
                       config], capture_output=True, text=True)
c.equal(proc.returncode, 1, "check with a bad config: exit 1")
c.equal(proc.stdout.splitlines()[:2],
        [f"{config}:4:14: plugins.scripts.example_watch.score: expected a "
         "number, got 'high'",
         f"{config}:5:5: plugins.scripts.example_wach: unknown script (no "
         "loaded plugin defines it)"], "check with a bad config: errors")
os.unlink(config)
# An alias inside its own anchor: a walk that followed it would not end.
config = write_config("plugins:\n  scripts:\n    example_watch: &w\n"
                      "      self: *w\n")
proc = subprocess.run([SANDBOX, "--check", "--plugins", PLUGINS, "--config",
                       config], capture_output=True, text=True, timeout=60)
c.equal(proc.returncode, 1, "check with an alias cycle: exit 1")
c.equal(proc.stdout.splitlines()[:1],
        [f"{config}:4:1: invalid YAML: nested deeper than 128 levels once "
         "aliases are followed (an alias inside its own anchor makes a "
         "cycle)"], "check with an alias cycle: error")
os.unlink(config)

# --- throughput ----------------------------------------------------------
# Every event matches, so each produces a status and a flow alert. The
# figure is printed for the record; the floor is checked by the
# sandbox_events benchmark. The result ring has room for every result of
# the event ring, so a driver that falls behind for a moment drops nothing.
run = run_example(["flood n=100000 batch=256 hook=protocolDetected l4=TCP "
                   "client_ip=10.0.0.1 server_ip=93.184.216.34 "
                   "server_port=443 l7=TLS server_name=www.example.com"],
                  drive_args=["--result-bytes", str(16 << 20)])
rate = run.of("rate")
c.check(rate and rate[0]["synced"], "flood: every batch handled")
if rate:
    c.equal((rate[0]["statuses"], rate[0]["alerts"], rate[0]["errors"]),
            (100000, 100000, 0), "flood: one status and alert per event")
    print(f"example plugin: {rate[0]['events_per_sec']:.0f} events/s "
          "with a status and an alert each")

shutil.rmtree(PLUGINS)
c.finish()
