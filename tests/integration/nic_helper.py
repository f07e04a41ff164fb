#!/usr/bin/env python3
"""deploy/vigil-nic against a fake /sys tree.

The tree has the PCI devices of a probe. Two ports of one NIC are on
i40e, one of them with an address. A spare port has no IOMMU group, one
port is on vfio-pci already, the virtio NIC carries the default route,
and a SATA controller is no network device. VIGIL_SYSFS points the helper at it, and VIGIL_IP and
VIGIL_MODPROBE at stand-ins for ip(8) and modprobe(8), so nothing of the
machine is read or written, apart from one case that runs against the
real /sys as the user nobody (when the test runs as root), which cannot
write there. A fake tree cannot rebind a device, so the cases that need
the kernel to do it run the helper's main() in this process with a
write_text() that moves the driver link as the kernel would.

usage: nic_helper.py SOURCE_ROOT
"""
import importlib.machinery
import importlib.util
import io
import os
import subprocess
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigtest  # noqa: E402

# address: (class, vendor, device, driver, interface, below, iommu group)
# "below" is the device between the PCI function and its interface, as
# virtio-net has one.
DEVICES = {
    "0000:3b:00.0": ("0x020000", "0x8086", "0x1572", "i40e", "ens1f0",
                     None, "50"),
    "0000:3b:00.1": ("0x020000", "0x8086", "0x1572", "i40e", "ens1f1",
                     None, "51"),
    "0000:3c:00.0": ("0x020000", "0x8086", "0x1572", "i40e", "ens2f0",
                     None, None),
    "0000:5e:00.0": ("0x020000", "0x8086", "0x1583", "vfio-pci", None,
                     None, "60"),
    "0000:00:03.0": ("0x020000", "0x1af4", "0x1041", "virtio-pci", "eth0",
                     "virtio2", "3"),
    "0000:00:1f.2": ("0x010601", "0x8086", "0xa352", "ahci", None, None,
                     "7"),
}

ADDRESSES = [
    {"ifname": "lo", "addr_info": [
        {"family": "inet", "local": "127.0.0.1", "prefixlen": 8,
         "scope": "host"}]},
    {"ifname": "eth0", "addr_info": [
        {"family": "inet", "local": "192.0.2.2", "prefixlen": 24,
         "scope": "global"},
        {"family": "inet6", "local": "fe80::1", "prefixlen": 64,
         "scope": "link"}]},
    {"ifname": "ens1f0", "addr_info": [
        {"family": "inet6", "local": "fe80::2", "prefixlen": 64,
         "scope": "link"}]},
    {"ifname": "ens1f1", "addr_info": [
        {"family": "inet", "local": "10.1.0.5", "prefixlen": 24,
         "scope": "global"}]},
    {"ifname": "ens2f0", "addr_info": []},
]
ROUTES = [{"dst": "default", "gateway": "192.0.2.1", "dev": "eth0"}]

FAKE_IP = """#!{python}
import json, os, sys
if os.environ.get("FAKE_IP_FAIL"):
    sys.stderr.write("Cannot open netlink socket: Permission denied\\n")
    sys.exit(1)
args = sys.argv[1:]
if args == ["-json", "address", "show"]:
    print(json.dumps({addresses}))
elif args == ["-json", "-4", "route", "show", "default"]:
    print(json.dumps({routes}))
elif args == ["-json", "-6", "route", "show", "default"]:
    print("[]")
else:
    sys.stderr.write("unexpected arguments %r\\n" % args)
    sys.exit(2)
"""

FAKE_MODPROBE = """#!/bin/sh
echo "$@" >> '{log}'
if [ -n "$FAKE_MODPROBE_FAIL" ]; then
  echo "modprobe: FATAL: Module vfio-pci not found." >&2; exit 1
fi
mkdir -p '{vfio}'
"""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def read(path):
    with open(path) as f:
        return f.read()


def relative_link(target, link):
    os.makedirs(os.path.dirname(link), exist_ok=True)
    os.symlink(os.path.relpath(target, os.path.dirname(link)), link)


class Tree:
    def __init__(self, root, vfio_loaded=True):
        self.root = root
        self.sys = os.path.join(root, "sys")
        self.modprobe_log = os.path.join(root, "modprobe.log")
        drivers = os.path.join(self.sys, "bus", "pci", "drivers")
        names = {spec[3] for spec in DEVICES.values()}
        if not vfio_loaded:
            names.discard("vfio-pci")
        for name in names:
            write(os.path.join(drivers, name, "bind"), "")
            write(os.path.join(drivers, name, "unbind"), "")
        write(os.path.join(self.sys, "bus", "pci", "drivers_probe"), "")
        for address, spec in DEVICES.items():
            cls, vendor, device, driver, ifname, below, group = spec
            real = os.path.join(self.sys, "devices", "pci0000:00", address)
            write(os.path.join(real, "class"), cls + "\n")
            write(os.path.join(real, "vendor"), vendor + "\n")
            write(os.path.join(real, "device"), device + "\n")
            write(os.path.join(real, "numa_node"), "0\n")
            write(os.path.join(real, "driver_override"), "(null)\n")
            relative_link(real, self.device(address))
            relative_link(os.path.join(drivers, driver),
                          os.path.join(real, "driver"))
            if group is not None:
                group_dir = os.path.join(self.sys, "kernel", "iommu_groups",
                                         group)
                os.makedirs(group_dir, exist_ok=True)
                relative_link(group_dir, os.path.join(real, "iommu_group"))
            if ifname is not None:
                parent = os.path.join(real, below) if below else real
                os.makedirs(os.path.join(parent, "net", ifname))
                relative_link(parent, os.path.join(
                    self.sys, "class", "net", ifname, "device"))
        # lo has no device link, as on a real machine.
        os.makedirs(os.path.join(self.sys, "class", "net", "lo"))

        self.ip = os.path.join(root, "fake-ip")
        write(self.ip, FAKE_IP.format(python=sys.executable,
                                      addresses=repr(ADDRESSES),
                                      routes=repr(ROUTES)))
        os.chmod(self.ip, 0o755)
        self.modprobe = os.path.join(root, "fake-modprobe")
        write(self.modprobe, FAKE_MODPROBE.format(
            log=self.modprobe_log, vfio=os.path.join(drivers, "vfio-pci")))
        os.chmod(self.modprobe, 0o755)

    def device(self, address):
        return os.path.join(self.sys, "bus", "pci", "devices", address)

    def writes(self):
        """Return every sysfs file the helper may write, with its text."""
        found = {"drivers_probe": read(os.path.join(
            self.sys, "bus", "pci", "drivers_probe"))}
        for address in DEVICES:
            found[f"{address}/driver_override"] = read(os.path.join(
                self.device(address), "driver_override"))
        drivers = os.path.join(self.sys, "bus", "pci", "drivers")
        for name in sorted(os.listdir(drivers)):
            for action in ("bind", "unbind"):
                path = os.path.join(drivers, name, action)
                if os.path.exists(path):
                    found[f"{name}/{action}"] = read(path)
        return found

    def env(self, **extra):
        env = dict(os.environ, VIGIL_SYSFS=self.sys, VIGIL_IP=self.ip,
                   VIGIL_MODPROBE=self.modprobe)
        env.update(extra)
        return env


def run(helper, tree, *args, **extra):
    return subprocess.run([sys.executable, helper, *args],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, timeout=60, env=tree.env(**extra))


def changed(before, after):
    return {k: v for k, v in after.items() if before.get(k) != v}


def check_list(helper, tmp, checks):
    tree = Tree(os.path.join(tmp, "list"))
    proc = run(helper, tree, "list")
    want = [
        "pci address   vendor:device  numa  driver      interface  notes",
        "0000:00:03.0  1af4:1041      0     virtio-pci  eth0       eth0: "
        "default route via 192.0.2.1; eth0: 192.0.2.2/24",
        "0000:3b:00.0  8086:1572      0     i40e        ens1f0",
        "0000:3b:00.1  8086:1572      0     i40e        ens1f1     ens1f1: "
        "10.1.0.5/24",
        "0000:3c:00.0  8086:1572      0     i40e        ens2f0",
        "0000:5e:00.0  8086:1583      0     vfio-pci    -          ready "
        "for vigild",
    ]
    checks.check(proc.returncode == 0,
                 f"list: exit {proc.returncode}: {proc.stderr}")
    checks.check(proc.stdout.splitlines() == want,
                 f"list: output {proc.stdout.splitlines()!r}, expected "
                 f"{want!r}")

    proc = run(helper, tree, "list", FAKE_IP_FAIL="1")
    checks.check(proc.returncode == 1 and proc.stderr ==
                 f"vigil-nic: {tree.ip} -json address show failed: Cannot "
                 "open netlink socket: Permission denied\n",
                 f"list, ip fails: exit {proc.returncode}: {proc.stderr!r}")


def check_bind_rejected(helper, tmp, checks):
    """Each case exits with its status and message and writes nothing."""
    tree = Tree(os.path.join(tmp, "rejected"))
    keep = ", and this machine would lose that network; give --force to " \
           "bind it anyway\n"
    cases = [
        ("global address", ["bind", "0000:3b:00.1"], 1,
         "vigil-nic: not binding 0000:3b:00.1: its interface ens1f1 has the "
         "addresses 10.1.0.5/24" + keep),
        ("default route", ["bind", "00:03.0"], 1,
         "vigil-nic: not binding 0000:00:03.0: its interface eth0 carries "
         "the default route (via 192.0.2.1)" + keep),
        ("not a NIC", ["bind", "0000:00:1f.2"], 1,
         "vigil-nic: not binding 0000:00:1f.2: it is not a network "
         "controller (class 0x010601); give --force to bind it anyway\n"),
        ("no such device", ["bind", "0000:99:00.0"], 1,
         "vigil-nic: no PCI device 0000:99:00.0 on this machine (network "
         "devices: 0000:00:03.0, 0000:3b:00.0, 0000:3b:00.1, 0000:3c:00.0, "
         "0000:5e:00.0); `vigil-nic list` shows them\n"),
        ("no IOMMU group", ["bind", "0000:3c:00.0"], 1,
         "vigil-nic: 0000:3c:00.0 has no IOMMU group, so vfio-pci cannot "
         "take it: turn the IOMMU on in the firmware and, on Intel CPUs, "
         "add intel_iommu=on to the kernel command line\n"),
        ("invalid address", ["bind", "eth1"], 2,
         "expected a PCI address such as 0000:3b:00.0, got 'eth1'"),
        ("invalid driver", ["unbind", "0000:5e:00.0", "--driver", "a/b"], 2,
         "--driver: expected a driver name such as ixgbe, got 'a/b'"),
        ("no command", [], 2, "the following arguments are required"),
        ("ip fails", ["bind", "0000:3b:00.0"], 1,
         f"vigil-nic: {tree.ip} -json address show failed: Cannot open "
         "netlink socket: Permission denied\n"),
    ]
    for name, args, status, message in cases:
        before = tree.writes()
        extra = {"FAKE_IP_FAIL": "1"} if name == "ip fails" else {}
        proc = run(helper, tree, *args, **extra)
        checks.check(proc.returncode == status,
                     f"{name}: exit {proc.returncode}, expected {status}: "
                     f"{proc.stderr!r}")
        if status == 1:
            checks.check(proc.stderr == message,
                         f"{name}: {proc.stderr!r}, expected {message!r}")
        else:
            checks.check(message in proc.stderr,
                         f"{name}: {proc.stderr!r} lacks {message!r}")
        checks.check(changed(before, tree.writes()) == {},
                     f"{name}: wrote {changed(before, tree.writes())}")

    before = tree.writes()
    proc = run(helper, tree, "bind", "0000:5e:00.0")
    checks.check(proc.returncode == 0 and proc.stdout ==
                 "0000:5e:00.0 is bound to vfio-pci already\n",
                 f"bound already: exit {proc.returncode}: {proc.stdout!r}")
    proc = run(helper, tree, "unbind", "0000:3b:00.0")
    checks.check(proc.returncode == 0 and proc.stdout ==
                 "0000:3b:00.0 is bound to i40e, not vfio-pci; nothing to "
                 "do\n",
                 f"unbind a kernel port: exit {proc.returncode}: "
                 f"{proc.stdout!r}")
    checks.check(changed(before, tree.writes()) == {},
                 f"nothing to do: wrote {changed(before, tree.writes())}")


def check_vfio_module(helper, tmp, checks):
    tree = Tree(os.path.join(tmp, "modprobe-fails"), vfio_loaded=False)
    before = tree.writes()
    proc = run(helper, tree, "bind", "0000:3b:00.0", FAKE_MODPROBE_FAIL="1")
    checks.check(proc.returncode == 1 and proc.stderr ==
                 f"vigil-nic: {tree.modprobe} vfio-pci failed: modprobe: "
                 "FATAL: Module vfio-pci not found.\n",
                 f"modprobe fails: exit {proc.returncode}: {proc.stderr!r}")
    checks.check(read(tree.modprobe_log) == "vfio-pci\n",
                 "modprobe fails: modprobe not run with vfio-pci")
    checks.check(changed(before, tree.writes()) == {},
                 f"modprobe fails: wrote {changed(before, tree.writes())}")

    # modprobe loads the module; the fake kernel then does not rebind, so
    # the helper must notice that the device is still on i40e.
    tree = Tree(os.path.join(tmp, "no-rebind"), vfio_loaded=False)
    proc = run(helper, tree, "bind", "0000:3b:00.0")
    checks.check(proc.returncode == 1 and proc.stderr ==
                 "vigil-nic: 0000:3b:00.0 is bound to i40e after the probe, "
                 "not vfio-pci; see the kernel log (dmesg)\n",
                 f"no rebind: exit {proc.returncode}: {proc.stderr!r}")
    writes = tree.writes()
    checks.check(writes["0000:3b:00.0/driver_override"] == "vfio-pci\n",
                 f"no rebind: driver_override "
                 f"{writes['0000:3b:00.0/driver_override']!r}")
    checks.check(writes["i40e/unbind"] == "0000:3b:00.0",
                 f"no rebind: i40e/unbind {writes['i40e/unbind']!r}")
    checks.check(writes["drivers_probe"] == "0000:3b:00.0",
                 f"no rebind: drivers_probe {writes['drivers_probe']!r}")

    # --force binds a port with an address: the same writes happen.
    tree = Tree(os.path.join(tmp, "force"))
    proc = run(helper, tree, "bind", "0000:3b:00.1", "--force")
    writes = tree.writes()
    checks.check(writes["0000:3b:00.1/driver_override"] == "vfio-pci\n" and
                 writes["drivers_probe"] == "0000:3b:00.1",
                 f"--force: writes {writes}: {proc.stderr!r}")


def load_helper(helper):
    loader = importlib.machinery.SourceFileLoader("vigil_nic", helper)
    spec = importlib.util.spec_from_loader("vigil_nic", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def run_with_kernel(helper, tree, args, matching_driver="i40e"):
    """Run the helper's main() with a write_text() that acts as the kernel:
    unbind drops the driver link, and drivers_probe links the device to
    driver_override's driver, or else to <matching_driver>."""
    module = load_helper(helper)
    original = module.write_text
    drivers = os.path.join(tree.sys, "bus", "pci", "drivers")

    def kernel(path, text):
        original(path, text)
        if os.path.basename(path) == "unbind":
            os.unlink(os.path.join(tree.device(text), "driver"))
        elif os.path.basename(path) == "drivers_probe":
            link = os.path.join(tree.device(text), "driver")
            override = read(os.path.join(tree.device(text),
                                         "driver_override")).strip()
            driver = override or matching_driver
            if os.path.lexists(link):
                os.unlink(link)
            os.symlink(os.path.join(drivers, driver), link)

    module.write_text = kernel
    saved = dict(os.environ)
    os.environ.update(tree.env())
    out, err = io.StringIO(), io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            status = module.main(args)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return status, out.getvalue(), err.getvalue()


def check_rebind(helper, tmp, checks):
    tree = Tree(os.path.join(tmp, "rebind"))
    status, out, err = run_with_kernel(helper, tree,
                                       ["bind", "0000:3b:00.0"])
    checks.check(status == 0 and out == "0000:3b:00.0: i40e -> vfio-pci\n",
                 f"bind: status {status}: {out!r} {err!r}")
    checks.check(os.path.basename(os.readlink(os.path.join(
        tree.device("0000:3b:00.0"), "driver"))) == "vfio-pci",
        "bind: the device is not on vfio-pci")

    status, out, err = run_with_kernel(helper, tree,
                                       ["unbind", "0000:3b:00.0"])
    checks.check(status == 0 and out == "0000:3b:00.0: vfio-pci -> i40e\n",
                 f"unbind: status {status}: {out!r} {err!r}")
    checks.check(read(os.path.join(tree.device("0000:3b:00.0"),
                                   "driver_override")) == "\n",
                 "unbind: driver_override not cleared")

    # Only vfio-pci matches once driver_override is cleared: the probe
    # puts the device back on it, and the helper reports that.
    status, out, err = run_with_kernel(helper, tree,
                                       ["unbind", "0000:5e:00.0"],
                                       matching_driver="vfio-pci")
    checks.check(status == 1 and err ==
                 "vigil-nic: no kernel driver took 0000:5e:00.0 after the "
                 "probe (now vfio-pci); load its module or give --driver "
                 "NAME\n",
                 f"unbind, no driver: status {status}: {err!r}")

    status, out, err = run_with_kernel(helper, tree,
                                       ["unbind", "0000:5e:00.0",
                                        "--driver", "i40e"])
    checks.check(status == 0 and out == "0000:5e:00.0: vfio-pci -> i40e\n",
                 f"unbind --driver: status {status}: {out!r} {err!r}")


def check_not_root(helper, checks):
    """Without root the helper leaves the real /sys alone and prints why.

    As root, the helper runs as nobody, who cannot write /sys either.
    """
    proc = vigtest.run_unprivileged(helper, ["bind", "0000:00:00.0"])
    if proc is None:
        return
    checks.check(proc.returncode == 1 and proc.stderr ==
                 "vigil-nic: binding a device needs root; run it with sudo "
                 "or as root\n",
                 f"not root: exit {proc.returncode}: {proc.stderr!r}")


def main():
    helper = os.path.join(sys.argv[1], "deploy", "vigil-nic")
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-nic-") as tmp:
        check_list(helper, tmp, checks)
        check_bind_rejected(helper, tmp, checks)
        check_vfio_module(helper, tmp, checks)
        check_rebind(helper, tmp, checks)
    check_not_root(helper, checks)
    checks.finish()


if __name__ == "__main__":
    main()
