#!/usr/bin/env python3
"""The bundled system plugins, driven through vigil-sandbox-drive.

System and interface snapshots are played minute by minute, as vigild
sends them. Each plugin must raise its alert, with the values of that
minute, when the condition starts, and release it when the condition
ends. Readings just inside each threshold raise nothing.

usage: plugins_system.py VIGIL_SANDBOX_DRIVE VIGIL_SANDBOX SOURCE_ROOT
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sandbox_common as sc  # noqa: E402

MINUTE_US = 60_000_000
T0_US = 1_700_000_040 * 1_000_000
GB = 1_000_000_000


def minute(n, lines):
    """Commands that send one min batch at minute <n> with <lines>."""
    return [*lines, f"send control=1 period=min time_us={T0_US + n * MINUTE_US}",
            "sync"]


def alerts_of(run, alert_type):
    """Triggers and releases of <alert_type>, in order, as (action, value,
    details) tuples."""
    out = []
    for item in run.lines:
        if item.get("alert_type") != alert_type:
            continue
        if item["type"] == "alert":
            out.append(("trigger", item.get("value"),
                        json.loads(item.get("details_json") or "{}")))
        elif item["type"] == "release":
            out.append(("release", item.get("value"), None))
    return out


def system_case(driver, sandbox, plugins, checks):
    iface = "interface name=port0"
    commands = []
    snapshots = [
        # minute: (system fields, interface fields)
        ("disk_free_ratio=0.5 disk_total_bytes=%d events_lost=0" % GB,
         "packets=1000 imissed=0 ring_full=0 active_flows=100 "
         "flows_capacity=1000 active_hosts=10 hosts_capacity=1000"),
        ("disk_free_ratio=0.1 disk_total_bytes=%d events_lost=0" % GB,
         "packets=2000 imissed=0 ring_full=0 active_flows=899 "
         "flows_capacity=1000 active_hosts=10 hosts_capacity=1000"),
        ("disk_free_ratio=0.05 disk_total_bytes=%d events_lost=5" % GB,
         "packets=3000 imissed=6 ring_full=4 active_flows=950 "
         "flows_capacity=1000 active_hosts=10 hosts_capacity=1000"),
        ("disk_free_ratio=0.5 disk_total_bytes=%d events_lost=5" % GB,
         "packets=4000 imissed=6 ring_full=4 active_flows=100 "
         "flows_capacity=1000 active_hosts=10 hosts_capacity=1000 "
         "hosts_table_full=3"),
        ("disk_free_ratio=0 disk_total_bytes=0 events_lost=5",
         "packets=5000 imissed=6 ring_full=4 active_flows=100 "
         "flows_capacity=1000 active_hosts=10 hosts_capacity=1000 "
         "hosts_table_full=3"),
    ]
    for n, (system, interface) in enumerate(snapshots):
        commands += minute(n, [f"system {system}", f"{iface} {interface}"])
    run = sc.drive(driver, sandbox, plugins, commands)
    checks.check(not run.of("error"), f"plugin errors: {run.of('error')}")

    disk = alerts_of(run, "disk_space_low")
    checks.equal([(a, v) for a, v, _ in disk],
                 [("trigger", "system"), ("release", "system")],
                 "disk_space_low: raised at 5% free, released at 50%, "
                 "nothing at 10% (operator lt) or for an unmeasured disk")
    if disk:
        checks.check(abs(disk[0][2].get("free_ratio", 0) - 0.05) < 1e-9,
                     f"disk_space_low: free_ratio {disk[0][2]}")

    drops = alerts_of(run, "packet_drops")
    checks.equal([(a, v) for a, v, _ in drops],
                 [("trigger", "port0"), ("release", "port0")],
                 "packet_drops: raised the minute drops grew, released "
                 "the next")
    if drops:
        d = drops[0][2]
        checks.equal((d.get("imissed"), d.get("ring_full"),
                      d.get("packets")), (6, 4, 1000),
                     "packet_drops: the minute's drops and packets")
        checks.check(abs(d.get("drop_ratio", 0) - 10 / 1010) < 1e-9,
                     f"packet_drops: drop_ratio {d.get('drop_ratio')}")

    flows = alerts_of(run, "flow_table_full")
    checks.equal([(a, v) for a, v, _ in flows],
                 [("trigger", "port0"), ("release", "port0")],
                 "flow_table_full: raised at 95% in use, not at 89.9%, "
                 "released at 10%")
    if flows:
        checks.equal((flows[0][2].get("used"), flows[0][2].get("capacity")),
                     (950, 1000), "flow_table_full: used and capacity")
    hosts = alerts_of(run, "host_table_full")
    checks.equal([(a, v) for a, v, _ in hosts],
                 [("trigger", "port0"), ("release", "port0")],
                 "host_table_full: raised the minute hosts were rejected, "
                 "released the next")
    if hosts:
        checks.equal(hosts[0][2].get("rejected"), 3,
                     "host_table_full: rejected hosts")

    lost = alerts_of(run, "events_lost")
    checks.equal([(a, v) for a, v, _ in lost],
                 [("trigger", "system"), ("release", "system")],
                 "events_lost: raised the minute batches were lost, "
                 "released the next")
    if lost:
        checks.equal(lost[0][2].get("batches_lost"), 5,
                     "events_lost: batches_lost")


def disabled_case(driver, sandbox, plugins, checks):
    commands = minute(0, ["system disk_free_ratio=0.5"])
    run = sc.drive(driver, sandbox, plugins, commands,
                   args=["--disable", "example"])
    found = alerts_of(run, "plugin_disabled")
    checks.equal([(a, v) for a, v, _ in found], [("trigger", "example")],
                 "plugin_disabled: one alert for the disabled plugin")
    if found:
        checks.equal(found[0][2].get("plugin"), "example",
                     "plugin_disabled: details")
    run = sc.drive(driver, sandbox, plugins, commands)
    checks.equal(alerts_of(run, "plugin_disabled"), [],
                 "plugin_disabled: nothing when no plugin is disabled")


LIST_PLUGIN = """
local loaded = 0
return {
  key = "list_reader",
  default_value = { path = "", in_hook = false },
  hooks = {
    min = function(system, conf)
      if conf.in_hook then
        vigil.read_list(conf.path)
      end
      alerts.trigger("list_loaded", { entity = "system",
                                      details = { entries = loaded } })
    end,
  },
  setup = function(conf)
    loaded = #vigil.read_list(conf.path)
    return true
  end,
}
"""


def read_list_case(driver, sandbox, checks):
    """vigil.read_list: entries in setup(); an error in a hook; a file
    only root may read is refused while the sandbox still runs as root."""
    import tempfile
    with tempfile.TemporaryDirectory(prefix="vigil-lists-") as tmp:
        os.chmod(tmp, 0o755)
        base = os.path.join(tmp, "plugins", "tests", "lists")
        os.makedirs(os.path.join(base, "user_scripts", "system"))
        os.makedirs(os.path.join(base, "alert_definitions"))
        with open(os.path.join(base, "manifest.lua"), "w") as f:
            f.write('return { title = "lists" }\n')
        with open(os.path.join(base, "alert_definitions", "list_loaded.lua"),
                  "w") as f:
            f.write('return { key = "list_loaded", title = "loaded", '
                    'severity = "info" }\n')
        with open(os.path.join(base, "user_scripts", "system", "lists.lua"),
                  "w") as f:
            f.write(LIST_PLUGIN)
        public = os.path.join(tmp, "public.txt")
        with open(public, "w") as f:
            f.write("10.0.0.1\n# comment\n\n0.0.0.0 bad.example\n"
                    "bad$entry\n10.1.0.0/16 trailing words\n")
        os.chmod(public, 0o644)
        private = os.path.join(tmp, "private.txt")
        with open(private, "w") as f:
            f.write("10.0.0.1\n")
        os.chmod(private, 0o600)
        plugins = [os.path.join(tmp, "plugins")]

        def run(path, in_hook=False):
            config = os.path.join(tmp, "vigil.yaml")
            with open(config, "w") as f:
                f.write(f"plugins:\n  scripts:\n    list_reader:\n"
                        f"      path: \"{path}\"\n"
                        f"      in_hook: {str(in_hook).lower()}\n")
            return sc.drive(driver, sandbox, plugins,
                            minute(0, ["system uptime_s=1"]),
                            args=["--config", config])

        got = alerts_of(run(public), "list_loaded")
        checks.equal([d.get("entries") for _, _, d in got], [3],
                     "read_list: entries of a list with comments, a hosts "
                     "line and an invalid line")
        hooked = run(public, in_hook=True)
        checks.check(any("only be called from setup()" in e["message"]
                         for e in hooked.of("error")),
                     f"read_list: no error from a hook: {hooked.of('error')}")
        if os.geteuid() == 0:
            refused = run(private)
            checks.check(any("not readable by every user" in e["message"]
                             for e in refused.of("error")),
                         f"read_list: a 0600 file was read as root: "
                         f"{refused.of('error')} {refused.stderr[-300:]}")


def main():
    driver, sandbox, source_root = sc.programs()
    plugins = [os.path.join(source_root, "plugins")]
    checks = sc.Checks()
    system_case(driver, sandbox, plugins, checks)
    disabled_case(driver, sandbox, plugins, checks)
    read_list_case(driver, sandbox, checks)
    checks.finish()


if __name__ == "__main__":
    main()
