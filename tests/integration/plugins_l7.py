#!/usr/bin/env python3
"""L7 names and ids a plugin receives, against flow records and the API.

vigild reads a capture built here: plain HTTP (nDPI stores it as master
0, Unknown, and app HTTP, and prints "HTTP"), HTTP to www.google.com (a
Master.App name), and DNS. Three plugins, filtered on l7 "HTTP", on
"Google" and not at all, each raise one flow alert per flow they see,
with the flow's l7, l7_master, l7_app, master_proto and app_proto in its
details. The expected values come from each flow record's l7, split as
the API splits it (docs/api.md): "HTTP.Google" is master HTTP and app
Google, and a one-part name such as "HTTP" is both. So:

- every flow reaches the unfiltered plugin, with l7 equal to its record's
  and l7_master and l7_app equal to the parts of it;
- the plain HTTP flow shows master_proto and app_proto 7 (nDPI 4.2's id
  of HTTP), not master 0;
- the HTTP and Google plugins see exactly the flows whose l7 has that
  name as a part, which is what the API's l7 filter returns.

usage: plugins_l7.py VIGILD SOURCE_ROOT
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import plugin_traffic as t  # noqa: E402
import plugins  # noqa: E402
import vigtest  # noqa: E402

T0 = 1_700_000_000.0
NDPI_PROTOCOL_HTTP = 7  # ndpi_protocol_ids.h, nDPI 4.2

SEEN_SCRIPT = """
return {
  key = "%(name)s",
  %(filter)s
  hooks = {
    protocolDetected = function(flow)
      flow:triggerAlert("%(name)s_flow", { details = {
        l7 = flow.l7, l7_master = flow.l7_master, l7_app = flow.l7_app,
        master_proto = flow.master_proto, app_proto = flow.app_proto } })
    end,
  },
}
"""

PLUGINS = {
    # plugin: the l7 filter of its script, None for none
    "seen_http": "HTTP",
    "seen_google": "Google",
    "seen_all": None,
}


def http_request(host):
    return (b"GET / HTTP/1.1\r\nHost: " + host.encode() +
            b"\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n")


HTTP_REPLY = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
              b"Content-Length: 5\r\n\r\nhello")


def build_capture(path):
    cap = t.Capture()
    cap.session(T0, "10.0.0.1", 40001, "192.0.2.80", 80,
                [http_request("www.example.org")], [HTTP_REPLY])
    cap.session(T0 + 1, "10.0.0.2", 40002, "192.0.2.81", 80,
                [http_request("www.google.com")], [HTTP_REPLY])
    cap.dns(T0 + 2, "10.0.0.3", 40003, "192.0.2.53", "www.example.org", 7)
    cap.write(path)


def write_plugins(root):
    for name, l7 in PLUGINS.items():
        filter_line = "" if l7 is None else 'filter = { l7 = { "%s" } },' % l7
        plugins.write_plugin(root, name,
                             SEEN_SCRIPT % {"name": name,
                                            "filter": filter_line},
                             alerts=[name + "_flow"])


def record_key(r):
    return (f"{r['client_ip']}:{r['client_port']}-"
            f"{r['server_ip']}:{r['server_port']}@{r['vlan']}")


def parts(l7):
    """The API's l7_master and l7_app for an nDPI name of no dot."""
    names = l7.split(".", 1)
    return names[0], names[-1]


def main():
    vigild, _source_root = sys.argv[1], sys.argv[2]
    sandbox = os.path.join(os.path.dirname(os.path.dirname(vigild)),
                           "sandbox", "vigil-sandbox")
    if not os.path.exists(sandbox):
        vigtest.skip(f"vigil-sandbox not built at {sandbox}")
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-plugins-l7-") as tmp:
        os.chmod(tmp, 0o755)
        pcap = os.path.join(tmp, "l7.pcap")
        build_capture(pcap)
        root = os.path.join(tmp, "plugins")
        write_plugins(root)
        status, stderr, records, counters, alerts = plugins.run(
            vigild, pcap, tmp, "l7", root)
        checks.check(status == 0, f"exit {status}: {stderr[-400:]}")
        checks.check(counters["plugins"]["plugin_errors"] == 0,
                     f"plugin errors: {counters['plugins']}: "
                     f"{stderr[-600:]}")
        by_key = {record_key(r): r for r in records}
        names = sorted(r["l7"] for r in records)
        # The capture must give a plain HTTP flow, a Master.App HTTP
        # flow and a flow that is not HTTP, or the checks prove little.
        checks.check("HTTP" in names and "HTTP.Google" in names and
                     "DNS" in names, f"record l7 names {names}")

        seen = {name: {} for name in PLUGINS}
        for a in alerts:
            if a["action"] == "trigger" and a["plugin"] in seen:
                seen[a["plugin"]][a["value"]] = a["details"]

        for key, r in sorted(by_key.items()):
            master, app = parts(r["l7"])
            got = seen["seen_all"].get(key)
            checks.check(got is not None, f"{key} ({r['l7']}): not seen")
            if got is None:
                continue
            checks.check(got["l7"] == r["l7"],
                         f"{key}: l7 {got['l7']!r}, record {r['l7']!r}")
            checks.check(got["l7_master"] == master,
                         f"{key}: l7_master {got['l7_master']!r}, "
                         f"expected {master!r}")
            checks.check(got["l7_app"] == app,
                         f"{key}: l7_app {got['l7_app']!r}, "
                         f"expected {app!r}")
            if r["l7"] == "HTTP":
                checks.check(got["master_proto"] == NDPI_PROTOCOL_HTTP and
                             got["app_proto"] == NDPI_PROTOCOL_HTTP,
                             f"{key}: plain HTTP ids master "
                             f"{got['master_proto']} app "
                             f"{got['app_proto']}, expected "
                             f"{NDPI_PROTOCOL_HTTP} and "
                             f"{NDPI_PROTOCOL_HTTP}")

        for name, l7 in PLUGINS.items():
            if l7 is None:
                continue
            want = sorted(k for k, r in by_key.items()
                          if l7.lower() in
                          [p.lower() for p in parts(r["l7"])])
            got = sorted(seen[name])
            checks.check(want, f"{name}: no flow has {l7} in its l7")
            checks.check(got == want,
                         f"{name} (l7 filter {l7!r}) saw {got}, "
                         f"expected {want}")
    checks.finish()


if __name__ == "__main__":
    main()
