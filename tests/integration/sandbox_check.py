"""vigil-sandbox --check on broken plugins, and the same plugins at run time.

tests/integration/sandbox/broken/ contains one plugin per kind of mistake
and two that are fine, one depending on the other. --check must print
exactly one FILE:LINE line per problem, naming the line to fix, one
"loaded" line per good plugin, and exit 1. Run normally, the sandbox must
send the same problems to vigild as PluginErrors from the "load" hook and
run the good plugins.
"""
import os
import subprocess
import tempfile

from sandbox_common import Checks, data_dir, drive, flow, programs

DRIVER, SANDBOX, ROOT = programs()
BROKEN = data_dir(ROOT, "broken")
P = os.path.join(BROKEN, "broken")
c = Checks()

expected_errors = [
    f"{P}/a_syntax/user_scripts/flow/s.lua:4: unexpected symbol near 'then'",
    f"{P}/c_dup_second/alert_definitions/a.lua:2: alert key 'dup_alert' is "
    f"already defined in {P}/b_dup_first/alert_definitions/a.lua",
    f"{P}/d_needs_missing/manifest.lua:3: dependency 'not_here' not found",
    f"{P}/e_bad_severity/alert_definitions/e.lua:4: severity 'urgent' must "
    "be info, notice, warning, error or critical",
    f"{P}/f_bad_schema_file/ts_schemas/weekly.lua:1: unknown schema file "
    "(expected min.lua, 5mins.lua, hour.lua or day.lua)",
]
expected_loaded = [
    f"loaded b_dup_first: 0 scripts, 1 alerts, 0 statuses, 0 schemas "
    f"({P}/b_dup_first)",
    f"loaded z_fine: 0 scripts, 1 alerts, 0 statuses, 0 schemas ({P}/z_fine)",
    f"loaded h_needs_fine: 1 scripts, 0 alerts, 1 statuses, 0 schemas "
    f"({P}/h_needs_fine)",
]

proc = subprocess.run([SANDBOX, "--check", "--plugins", BROKEN],
                      capture_output=True, text=True)
c.equal(proc.returncode, 1, "check: exit 1 when a plugin was skipped")
c.equal(proc.stdout.splitlines(), expected_errors + expected_loaded,
        "check: one line per error, then one per plugin loaded")

# A second folder is searched too; a folder that does not exist is an
# error of its own.
missing = os.path.join(ROOT, "no-such-plugin-folder")
proc = subprocess.run([SANDBOX, "--check", "--plugins",
                       f"{os.path.join(ROOT, 'plugins')},{missing}"],
                      capture_output=True, text=True)
c.equal(proc.returncode, 1, "check: missing folder is an error")
c.equal(proc.stdout.splitlines()[0], f"{missing}: plugin folder not found",
        "check: missing folder named")
c.check(any(line.startswith("loaded example:")
            for line in proc.stdout.splitlines()),
        "check: the other folder still loaded")

# A folder with no <group>/<plugin>/manifest.lua is an error, and the
# message names the folder to pass when the one given is a plugin or a
# group folder, one or two levels too deep.
plugins_root = os.path.realpath(os.path.join(ROOT, "plugins"))
none = "no plugin found (no <group>/<plugin>/manifest.lua)"
with tempfile.TemporaryDirectory(prefix="vigil-no-plugin-") as empty:
    os.mkdir(os.path.join(empty, "group"))
    for folder, message in (
            (os.path.join(ROOT, "plugins", "examples", "example"),
             f"this folder is a plugin; pass {plugins_root} instead"),
            (os.path.join(ROOT, "plugins", "examples"),
             f"this folder is a plugin group; pass {plugins_root} instead"),
            (os.path.join(empty, "group"), "the folder has no subfolder"),
            (empty, None)):
        proc = subprocess.run([SANDBOX, "--check", "--plugins", folder],
                              capture_output=True, text=True)
        want = f"{folder}: {none}" + (f": {message}" if message else "")
        c.equal(proc.returncode, 1, f"check {folder}: exit 1")
        c.equal(proc.stdout.splitlines(), [want],
                f"check {folder}: no plugin found")

# A plugin file that is a symlink out of its plugin folder is rejected
# before it is read: plugin files are read with the sandbox's starting
# privileges, and the Lua parser would quote the target's text. A symlink
# to a file inside the plugin folder still loads.
SECRET = "TOPSECRET42"
with tempfile.TemporaryDirectory(prefix="vigil-links-") as tmp:
    outside = os.path.join(tmp, "outside", "secret.conf")
    os.makedirs(os.path.dirname(outside))
    with open(outside, "w") as f:
        f.write(f"dbpass {SECRET}\n")
    os.chmod(outside, 0o600)
    root = os.path.join(tmp, "plugins")
    group = os.path.join(root, "g")
    plugin_dirs = {name: os.path.join(group, name)
                   for name in ("linked_manifest", "linked_script",
                                "linked_inside", "hardlinked_script")}
    for name, folder in plugin_dirs.items():
        os.makedirs(os.path.join(folder, "user_scripts", "flow"))
        if name != "linked_manifest":
            with open(os.path.join(folder, "manifest.lua"), "w") as f:
                f.write(f'return {{ title = "{name}" }}\n')
    os.symlink(outside, os.path.join(plugin_dirs["linked_manifest"],
                                     "manifest.lua"))
    os.symlink(outside, os.path.join(plugin_dirs["linked_script"],
                                     "user_scripts", "flow", "s.lua"))
    os.link(outside, os.path.join(plugin_dirs["hardlinked_script"],
                                  "user_scripts", "flow", "s.lua"))
    inside = plugin_dirs["linked_inside"]
    os.makedirs(os.path.join(inside, "lib"))
    with open(os.path.join(inside, "lib", "s.lua"), "w") as f:
        f.write('return { key = "inside", hooks = { flowEnd = '
                'function(flow) end } }\n')
    os.symlink("../../lib/s.lua",
               os.path.join(inside, "user_scripts", "flow", "s.lua"))
    proc = subprocess.run([SANDBOX, "--check", "--plugins", root],
                          capture_output=True, text=True)
    why = ("is a symlink out of the plugin folder {}; copy the file into "
           "the plugin folder instead")
    lm = plugin_dirs["linked_manifest"]
    ls = plugin_dirs["linked_script"]
    c.equal(proc.returncode, 1, "symlink out: exit 1")
    c.check(SECRET not in proc.stdout + proc.stderr,
            f"symlink out: the target's text is not quoted: {proc.stdout}")
    c.equal([line for line in proc.stdout.splitlines()
             if "is a symlink" in line],
            [f"{lm}/manifest.lua: " + why.format(lm),
             f"{ls}/user_scripts/flow/s.lua: " + why.format(ls)],
            "symlink out: the manifest and the user script named")
    linked = plugin_dirs["hardlinked_script"]
    c.equal([line for line in proc.stdout.splitlines()
             if "hard link" in line],
            [f"{linked}/user_scripts/flow/s.lua: has 2 hard links, and a plugin "
             "file must have one; copy the file into the plugin folder "
             "instead"],
            "hard link: the user script named")
    c.check(f"loaded linked_inside: 1 scripts, 0 alerts, 0 statuses, "
            f"0 schemas ({inside})" in proc.stdout.splitlines(),
            f"symlink inside the plugin folder loads: {proc.stdout}")

# At run time: the errors reach vigild, the good plugins run.
run = drive(DRIVER, SANDBOX, [BROKEN],
            [flow(1, 443), "send", "sync"])
load_errors = [(e["plugin"], e["message"]) for e in run.of("error")
               if e["hook"] == "load"]
c.equal([m for _, m in load_errors], expected_errors,
        "run: load errors sent as PluginErrors")
c.equal([p for p, _ in load_errors],
        ["a_syntax", "c_dup_second", "d_needs_missing", "e_bad_severity",
         "f_bad_schema_file"], "run: each load error names its plugin")
c.equal([(s["flow_id"], s["status"], s["score"], s["plugin"])
         for s in run.of("status")], [(1, "h_status", 3, "h_needs_fine")],
        "run: a plugin using its dependency's alert works")
c.equal([(a["alert_type"], a["severity"]) for a in run.of("alert")],
        [("z_alert", "error")], "run: the dependency's alert raised")
c.equal([x["plugin"] for x in run.of("loaded")],
        ["b_dup_first", "z_fine", "h_needs_fine"],
        "run: the plugins that loaded, scripts or not, reported to vigild")
c.check("loaded plugins=3 scripts=1 errors=5 skipped=5" in run.stderr,
        "run: the log counts only the plugins that loaded")
c.equal(run.exit(), {"type": "exit", "code": 0, "signal": 0}, "run: exit")

# Page mode reads a request of up to 4 MiB from standard input. One of
# exactly 4 MiB gets to the request check, one byte more does not.
REQUEST = b'{"page":"nope"}'
for size, fits in ((4 << 20, True), ((4 << 20) + 1, False)):
    proc = subprocess.run([SANDBOX, "--page", "--plugins", BROKEN],
                          input=REQUEST + b" " * (size - len(REQUEST)),
                          capture_output=True)
    over = b"over 4 MiB" in proc.stdout
    c.equal(over, not fits, f"page: request of {size} bytes read whole")
    c.check(b'"error":"invalid_request"' in proc.stdout,
            f"page: request of {size} bytes rejected as invalid_request")

c.finish()
