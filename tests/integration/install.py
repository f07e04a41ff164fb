#!/usr/bin/env python3
"""`meson install` into a temporary DESTDIR gives a probe that runs.

The test installs this build folder below a DESTDIR, reads the prefix
and folders from `meson introspect`, and checks:

1. The layout. The programs and helpers, the dashboard with uPlot, the
   bundled plugins (not the example one), the docs, the example
   configurations, the units and the sysusers.d file are all there.
   Every file lies below the prefix, and the folders copied from the
   source tree have the same files as it.
2. The units name the installed programs and <sysconfdir>/vigil/vigil.yaml,
   and `systemd-analyze verify` prints nothing for them (run on copies
   whose programs point into the DESTDIR; skipped without systemd).
3. The installed vigild and vigil-web accept the installed example
   configurations with --check-config, with no word about plugin or
   dashboard folders, because the bundled ones are found.
4. The installed vigild runs the installed plugins when its plugins:
   section names no directories, and the installed vigil-web serves the
   installed dashboard when its web: section names no static_dir.

usage: install.py MESON BUILD_DIR SOURCE_ROOT
"""
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402
import vigtest  # noqa: E402

PROGRAMS = ("vigild", "vigil-web", "vigil-sandbox", "vigil-ts-writer",
            "vigil-sample")
HELPERS = ("vigil-hugepages", "vigil-nic")
PLUGIN_GROUPS = ("network", "security", "system")
EXAMPLES = ("live-af-packet.yaml", "pcap-offline.yaml", "probe-40g.yaml")


def files_below(root):
    """Return the relative paths of the files below <root>."""
    found = set()
    for folder, _, names in os.walk(root):
        for name in names:
            found.add(os.path.relpath(os.path.join(folder, name), root))
    return found


def options(meson, build):
    proc = subprocess.run([meson, "introspect", "--buildoptions", build],
                          stdout=subprocess.PIPE, text=True, check=True)
    return {o["name"]: o["value"] for o in json.loads(proc.stdout)}


class Layout:
    """Installed paths, as given to meson and as found below DESTDIR."""

    def __init__(self, opts, destdir):
        self.destdir = destdir
        self.prefix = opts["prefix"]

        def under_prefix(value):
            return os.path.join(self.prefix, value)

        self.bindir = under_prefix(opts["bindir"])
        self.sbindir = under_prefix(opts["sbindir"])
        self.pkgdatadir = under_prefix(os.path.join(opts["datadir"],
                                                    "vigil"))
        self.docdir = under_prefix(os.path.join(opts["datadir"], "doc",
                                                "vigil"))
        self.sysconfdir = under_prefix(opts["sysconfdir"])
        self.unitdir = opts["systemdunitdir"] or \
            os.path.join(self.prefix, "lib", "systemd", "system")
        self.sysusersdir = opts["sysusersdir"] or \
            os.path.join(self.prefix, "lib", "sysusers.d")

    def staged(self, path):
        """Return where the installed <path> is below DESTDIR."""
        return self.destdir + path


def check_layout(layout, source, checks):
    for name in PROGRAMS:
        path = layout.staged(os.path.join(layout.bindir, name))
        checks.check(os.access(path, os.X_OK), f"{path} is not executable")
    for name in HELPERS:
        path = layout.staged(os.path.join(layout.sbindir, name))
        checks.check(os.access(path, os.X_OK), f"{path} is not executable")

    ui = layout.staged(os.path.join(layout.pkgdatadir, "ui"))
    want = files_below(os.path.join(source, "web", "ui"))
    got = files_below(ui)
    checks.check(got == want,
                 f"{ui}: missing {sorted(want - got)}, extra "
                 f"{sorted(got - want)}")
    checks.check("node_modules/uplot/dist/uPlot.iife.min.js" in got,
                 f"{ui}: uPlot missing")

    plugins = layout.staged(os.path.join(layout.pkgdatadir, "plugins"))
    groups = sorted(os.listdir(plugins)) if os.path.isdir(plugins) else []
    checks.check(groups == list(PLUGIN_GROUPS),
                 f"{plugins}: groups {groups}, expected {PLUGIN_GROUPS}")
    for group in PLUGIN_GROUPS:
        want = files_below(os.path.join(source, "plugins", group))
        got = files_below(os.path.join(plugins, group))
        checks.check(got == want and want,
                     f"{plugins}/{group}: missing {sorted(want - got)}, "
                     f"extra {sorted(got - want)}")

    doc = layout.staged(layout.docdir)
    for name in ("README.md", "install.md", "configuration.md"):
        checks.check(os.path.isfile(os.path.join(doc, name)),
                     f"{doc}/{name} missing")
    for name in EXAMPLES:
        path = os.path.join(doc, "examples", name)
        with open(os.path.join(source, "deploy", "examples", name)) as f:
            want = f.read()
        got = open(path).read() if os.path.isfile(path) else None
        checks.check(got == want, f"{path} missing or not the source's")
    manifest = os.path.join(doc, "examples", "plugins", "examples", "example",
                            "manifest.lua")
    checks.check(os.path.isfile(manifest), f"{manifest} missing")

    for path in (os.path.join(layout.unitdir, "vigild.service"),
                 os.path.join(layout.unitdir, "vigil-web.service"),
                 os.path.join(layout.sysusersdir, "vigil.conf")):
        checks.check(os.path.isfile(layout.staged(path)),
                     f"{layout.staged(path)} missing")

    # Nothing lands outside the prefix, except in folders set by option.
    outside = sorted(p for p in files_below(layout.destdir)
                     if not ("/" + p).startswith(layout.prefix + "/") and
                     not ("/" + p).startswith(layout.unitdir + "/") and
                     not ("/" + p).startswith(layout.sysusersdir + "/"))
    checks.check(outside == [], f"installed outside the prefix: {outside}")


def unit_lines(layout, name):
    path = layout.staged(os.path.join(layout.unitdir, name))
    if not os.path.isfile(path):
        return []
    with open(path) as f:
        return f.read().splitlines()


def check_units(layout, tmp, checks):
    config = os.path.join(layout.sysconfdir, "vigil", "vigil.yaml")
    for name, program in (("vigild.service", "vigild"),
                          ("vigil-web.service", "vigil-web")):
        want = f"ExecStart={os.path.join(layout.bindir, program)} -c {config}"
        lines = unit_lines(layout, name)
        checks.check(want in lines, f"{name}: no line {want!r}")
        checks.check(not any("@" in line for line in lines
                             if not line.startswith("#")),
                     f"{name}: a placeholder was left unfilled")
    web = unit_lines(layout, "vigil-web.service")
    checks.check("User=vigil" in web and "After=network-online.target "
                  "vigild.service" in web,
                  "vigil-web.service: not user vigil, or not after vigild")
    vigild = unit_lines(layout, "vigild.service")
    checks.check("LimitMEMLOCK=infinity" in vigild,
                 "vigild.service: memlock is limited")

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        print("systemd-analyze not found: the units were not verified")
        return
    copies = []
    for name in ("vigild.service", "vigil-web.service"):
        text = "\n".join(unit_lines(layout, name)) + "\n"
        text = text.replace(f"={layout.bindir}/",
                            f"={layout.staged(layout.bindir)}/")
        copy = os.path.join(tmp, name)
        with open(copy, "w") as f:
            f.write(text)
        copies.append(copy)
    proc = subprocess.run([analyze, "verify", *copies],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=120)
    checks.check(proc.returncode == 0 and proc.stdout == "",
                 f"systemd-analyze verify: exit {proc.returncode}: "
                 f"{proc.stdout!r}")


def installed(layout, program):
    return layout.staged(os.path.join(layout.bindir, program))


def check_examples(layout, checks):
    """The installed programs accept the installed examples."""
    for name in EXAMPLES:
        path = layout.staged(os.path.join(layout.docdir, "examples", name))
        for program in ("vigild", "vigil-web"):
            proc = subprocess.run([installed(layout, program),
                                   "--check-config", path],
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True,
                                  timeout=120)
            checks.check(proc.returncode == 0 and
                         proc.stdout.startswith(f"{path}: valid"),
                         f"{program} --check-config {name}: exit "
                         f"{proc.returncode}: {proc.stdout!r} "
                         f"{proc.stderr!r}")
            for word in ("plugins.directories", "static_dir"):
                checks.check(word not in proc.stderr,
                             f"{program} --check-config {name}: {word}: "
                             f"{proc.stderr!r}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_vigild_plugins(layout, tmp, checks):
    pcap = os.path.join(tmp, "one.pcap")
    g.write_pcap(pcap, [(1.0, g.packet("10.0.0.1", "10.0.0.2", 1,
                                       g.icmp_echo(8, 1, 1))),
                        (1.1, g.packet("10.0.0.2", "10.0.0.1", 1,
                                       g.icmp_echo(0, 1, 1)))])
    config = os.path.join(tmp, "vigild.yaml")
    with open(config, "w") as f:
        f.write(f"capture:\n  ports:\n    - pcap: {pcap}\n"
                f"flows:\n  output: {tmp}/flows.jsonl\n"
                "plugins:\n  sandboxes: 1\n")
    proc = subprocess.run([installed(layout, "vigild"), "-c", config],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=120)
    plugins = os.path.realpath(layout.staged(
        os.path.join(layout.pkgdatadir, "plugins")))
    checks.check(proc.returncode == 0,
                 f"installed vigild: exit {proc.returncode}: "
                 f"{proc.stderr[-2000:]}")
    checks.check("started pid=" in proc.stderr and
                 f" plugins={plugins}\n" in proc.stderr,
                 f"installed vigild: no sandbox with plugins={plugins}: "
                 f"{proc.stderr[-2000:]}")
    checks.check("errors=0" in proc.stderr and "loaded plugins=0 " not in
                 proc.stderr,
                 f"installed vigild: the plugins did not load: "
                 f"{proc.stderr[-2000:]}")


def check_web_ui(layout, tmp, checks):
    port = free_port()
    config = os.path.join(tmp, "web.yaml")
    with open(config, "w") as f:
        f.write("capture:\n  ports:\n    - interface: lo\n"
                f"web:\n  vigild_socket: {tmp}/api.sock\n"
                f"  data_dir: {tmp}/web\n"
                f"  listen: [\"127.0.0.1:{port}\"]\n"
                "  admin_password: \"install-test-pass\"\n")
    log = open(os.path.join(tmp, "web.log"), "w+")
    web = subprocess.Popen([installed(layout, "vigil-web"), "-c", config],
                           stdout=log, stderr=subprocess.STDOUT)
    ui = os.path.realpath(layout.staged(os.path.join(layout.pkgdatadir,
                                                     "ui")))

    try:
        deadline = time.monotonic() + 30
        status = body = vendor = None
        while time.monotonic() < deadline and web.poll() is None:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port,
                                                  timeout=5)
                conn.request("GET", "/")
                response = conn.getresponse()
                status, body = response.status, response.read()
                conn.request("GET", "/vendor/uplot/uPlot.iife.min.js")
                response = conn.getresponse()
                vendor = response.status
                response.read()
                conn.close()
                break
            except OSError:
                time.sleep(0.1)
    finally:
        web.terminate()
        web.wait(timeout=30)
        log.seek(0)
        text = log.read()
        log.close()

    index = None
    if os.path.isfile(os.path.join(ui, "index.html")):
        with open(os.path.join(ui, "index.html"), "rb") as f:
            index = f.read()
    checks.check(status == 200 and index is not None and body == index,
                 f"installed vigil-web: GET / gave {status}, not the "
                 f"installed index.html: {text[-2000:]}")
    checks.check(vendor == 200,
                 f"installed vigil-web: GET /vendor/uplot gave {vendor}")
    checks.check(f"static_dir={ui} " in text,
                 f"installed vigil-web: static_dir is not {ui}: "
                 f"{text[-2000:]}")


def main():
    meson, build, source = sys.argv[1], sys.argv[2], sys.argv[3]
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-install-") as tmp:
        destdir = os.path.join(tmp, "destdir")
        if os.path.realpath(destdir).startswith(
                os.path.realpath(build) + os.sep):
            vigtest.skip(f"{destdir} lies in the build folder {build}, "
                         "where programs use the source tree's folders")
        proc = subprocess.run([meson, "install", "-C", build, "--no-rebuild",
                               "--quiet", "--destdir", destdir],
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              timeout=300)
        if not checks.check(proc.returncode == 0,
                            f"meson install: exit {proc.returncode}: "
                            f"{proc.stdout[-3000:]}"):
            checks.finish()
        layout = Layout(options(meson, build), destdir)
        work = os.path.join(tmp, "work")
        os.makedirs(work)
        check_layout(layout, source, checks)
        check_units(layout, work, checks)
        check_examples(layout, checks)
        check_vigild_plugins(layout, work, checks)
        check_web_ui(layout, work, checks)
    checks.finish()


if __name__ == "__main__":
    main()
