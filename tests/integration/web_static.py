#!/usr/bin/env python3
"""Static files that vigil-web must not serve without a login.

A real vigil-web, with no vigild behind it, serves a web.static_dir built
here. The folder contains a file of mode 0644, a file of mode 0600, a
symlink to a file of mode 0644 outside the folder and a FIFO. Without a
login, only the 0644 file is served (200 with its bytes). The other three
get the 404 of a missing file. vigil-web logs one warning naming each,
however often it is requested, and never the bytes of a rejected file.
Then `vigil-web --check-config` on a file whose static_dir is /etc must
warn with the file, line and key, and still call it valid.

usage: web_static.py VIGIL_WEB
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigtest  # noqa: E402
import web_api as w  # noqa: E402

PUBLIC = b"public bytes of the login page\n"
SECRET = b"secret bytes only root may read\n"
OUTSIDE = b"bytes of a file outside static_dir\n"


def write_file(path, data, mode):
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def build_static(tmp):
    """Create the static folder and return it."""
    static = os.path.join(tmp, "ui")
    os.mkdir(static)
    write_file(os.path.join(static, "public.txt"), PUBLIC, 0o644)
    write_file(os.path.join(static, "secret.txt"), SECRET, 0o600)
    outside = os.path.join(tmp, "outside.txt")
    write_file(outside, OUTSIDE, 0o644)
    os.symlink(outside, os.path.join(static, "link.txt"))
    os.mkfifo(os.path.join(static, "fifo.txt"), 0o644)
    return static


def write_config(tmp, port, static):
    path = os.path.join(tmp, "vigil.yaml")
    with open(path, "w") as f:
        f.write(f"""web:
  listen: ["127.0.0.1:{port}"]
  vigild_socket: {tmp}/api.sock
  data_dir: {tmp}/web-data
  static_dir: {static}
  admin_password: "{w.ADMIN_PASSWORD}"
log:
  level: info
""")
    return path


def check_served(port, static, log_path, checks):
    c = w.Client(port)
    w.wait_for("vigil-web to listen",
               lambda: c.request("GET", "/public.txt")[0] == 200)
    status, _, body = c.request("GET", "/public.txt")
    checks.check(status == 200, f"0644 file: status {status}, expected 200")
    checks.check(body == PUBLIC, f"0644 file: body {body[:60]!r}")

    status, _, missing = c.request("GET", "/missing.txt")
    checks.check(status == 404, f"missing file: status {status}")
    for name in ("secret.txt", "link.txt", "fifo.txt"):
        for attempt in (1, 2):
            try:
                status, _, body = c.request("GET", "/" + name)
            except OSError as err:
                # Opening a FIFO blocks vigil-web's event loop until a
                # writer comes, so no reply comes either.
                checks.check(False, f"{name} (request {attempt}): {err}")
                return
            checks.check(status == 404,
                         f"{name} (request {attempt}): status {status}, "
                         "expected 404")
            checks.check(body == missing,
                         f"{name} (request {attempt}): body {body[:80]!r}, "
                         f"expected the missing file's {missing[:80]!r}")

    with open(log_path, "rb") as f:
        log = f.read()
    for name in ("secret.txt", "link.txt", "fifo.txt"):
        needle = f"file={os.path.join(static, name)} ".encode()
        warnings = [line for line in log.splitlines()
                    if b" warn web: " in line and needle in line]
        checks.check(len(warnings) == 1,
                     f"{name}: {len(warnings)} warnings naming it, "
                     f"expected 1; log:\n{log.decode(errors='replace')}")
    checks.check(SECRET not in log and OUTSIDE not in log,
                 "a rejected file's bytes are in the log")


def check_system_folder(web_path, tmp, checks):
    """--check-config warns about static_dir: /etc and accepts the file."""
    config = os.path.join(tmp, "etc.yaml")
    with open(config, "w") as f:
        f.write(f"web:\n  vigild_socket: {tmp}/api.sock\n"
                f"  data_dir: {tmp}/web-data\n  static_dir: /etc\n")
    proc = subprocess.run([web_path, "--check-config", config],
                          capture_output=True, text=True, timeout=60)
    want = (f"vigil-web: warning: {config}:4:15: web.static_dir: '/etc' "
            "is a system folder")
    checks.check(proc.returncode == 0,
                 f"--check-config static_dir /etc: exit {proc.returncode}, "
                 f"stderr {proc.stderr!r}")
    checks.check(want in proc.stderr,
                 f"--check-config static_dir /etc: stderr {proc.stderr!r}, "
                 f"expected {want!r}")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    web_path = sys.argv[1]
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-web-static-") as tmp:
        static = build_static(tmp)
        port = w.free_port()
        config = write_config(tmp, port, static)
        log_path = os.path.join(tmp, "web.log")
        with open(log_path, "w") as log:
            proc = w.start([web_path, "-c", config], log)
        try:
            check_served(port, static, log_path, checks)
        finally:
            w.stop(proc)
        check_system_folder(web_path, tmp, checks)
    checks.finish()


if __name__ == "__main__":
    sys.exit(main())
