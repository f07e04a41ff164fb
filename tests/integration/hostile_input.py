#!/usr/bin/env python3
"""vigil-web and vigild against hostile input and a loose set-up.

vigil-web runs without vigild, and vigild on a one-packet capture.

- A login whose user name carries a newline, a forged log line and an
  ESC sequence leaves one escaped line in vigil-web's log, and a port
  name with the same characters leaves one in vigild's.
- A failed login is logged with the client's address (peer=), over
  IPv4 and, where this machine has ::1, over IPv6.
- Ten parallel requests to a page that loops until its time budget ends
  never have more than PAGES_RUNNING_MAX (4) page sandboxes alive: four
  get 504 and six get 503 busy.
- --check-config parses the users file in web.data_dir as a start does,
  and warns (fails with --strict) when the file is open to the group or
  others.
- A method other than GET or HEAD on a static file gets the API's JSON
  405 with an Allow header.
- A password that is not a JSON string is named as such.
- A plugin page or menu that is a symlink out of its plugin's folder is
  rejected with a message naming the file, and the target's text never
  shows in the response.

usage: hostile_input.py VIGIL_WEB VIGILD
"""
import concurrent.futures
import http.client
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigtest  # noqa: E402

ADMIN_PASSWORD = "admin-password-1"
PAGES_RUNNING_MAX = 4  # web/plugin_pages.c
SECRET = "TOPSECRET42"
MANIFEST = ('return { title = "Test", description = "Test", '
            'author = "vigil", version = "1.0", dependencies = {} }\n')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def write_config(tmp, port, plugins, ipv6):
    listen = f'"127.0.0.1:{port}"' + (f', "[::1]:{port}"' if ipv6 else "")
    path = os.path.join(tmp, "vigil.yaml")
    with open(path, "w") as f:
        f.write(f"""
capture:
  ports:
    - vdev: net_null0
      name: null
lcores:
  control: 0
  rx: [1]
  engine: [1]
memory:
  hugepages: false
  size_mb: 256
plugins:
  directories: [{plugins}]
web:
  listen: [{listen}]
  vigild_socket: {tmp}/api.sock
  data_dir: {tmp}/web-data
  static_dir: {tmp}/static
  admin_password: "{ADMIN_PASSWORD}"
log:
  level: info
  status_interval: 0
""")
    return path


def write_plugins(root, outside):
    """A plugin with a page that loops until its budget ends, one whose
    page is a symlink to <outside>, and one whose menu is."""
    slow = os.path.join(root, "test", "slow")
    linked_page = os.path.join(root, "test", "linked_page")
    linked_menu = os.path.join(root, "test", "linked_menu")
    for plugin in (slow, linked_page, linked_menu):
        os.makedirs(os.path.join(plugin, "web_gui"))
        with open(os.path.join(plugin, "manifest.lua"), "w") as f:
            f.write(MANIFEST)
    with open(os.path.join(slow, "web_gui", "menu.lua"), "w") as f:
        f.write('return { label = "Slow", page = "loop.lua" }\n')
    with open(os.path.join(slow, "web_gui", "loop.lua"), "w") as f:
        f.write('return { title = "loop", render = function(data) '
                'while true do end end }\n')
    with open(os.path.join(linked_page, "web_gui", "menu.lua"), "w") as f:
        f.write('return { label = "Linked", page = "p.lua" }\n')
    os.symlink(outside, os.path.join(linked_page, "web_gui", "p.lua"))
    os.symlink(outside, os.path.join(linked_menu, "web_gui", "menu.lua"))


COOKIE = {}


def request(port, method, path, body=None, headers=None, host="127.0.0.1"):
    headers = dict(headers or {})
    if "cookie" in COOKIE:
        headers["Cookie"] = COOKIE["cookie"]
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in
                             resp.getheaders()}, data
    finally:
        conn.close()


def login(port, user, password, host="127.0.0.1"):
    body = json.dumps({"user": user, "password": password})
    status, headers, data = request(port, "POST", "/api/v1/login", body,
                                    {"Content-Type": "application/json"},
                                    host)
    return status, headers, json.loads(data) if data else None


def wait_listening(port, proc):
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"vigil-web exited: {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("vigil-web is not listening")


def page_sandboxes(parent):
    """The pids of the vigil-sandbox --page processes of <parent>."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if ppid == parent and b"--page" in args and \
                os.path.basename(args[0]) == b"vigil-sandbox":
            found.append(int(entry))
    return found


def check_login_log(port, log_path, checks):
    user = ("a\nZ info web: user=admin role=admin logged in\x1b[31m")
    status, _, doc = login(port, user, "x")
    checks.check(status == 401, f"forged login: {status} {doc}")
    with open(log_path, "rb") as f:
        log = f.read()
    lines = [line for line in log.split(b"\n") if b"login failed" in line]
    want = (b" warn web: login failed peer=127.0.0.1 user=a\\nZ info web: "
            b"user=admin role=admin logged in\\x1b[31m")
    checks.check(len(lines) == 1, f"one login line: {lines}")
    checks.check(b" login failed peer=127.0.0.1 " in b"".join(lines),
                 f"client address in the login line: {lines}")
    checks.check(len(lines) == 1 and lines[0].endswith(want),
                 f"one escaped login line: {lines}, expected one ending "
                 f"{want!r}")
    checks.check(not any(line.startswith(b"Z ")
                         for line in log.split(b"\n")),
                 "no forged line in the log")
    checks.check(b"\x1b" not in log, "no raw ESC in the log")


def check_login_log_ipv6(port, log_path, checks):
    status, _, doc = login(port, "ipv6-user", "x", host="::1")
    checks.check(status == 401, f"login over IPv6: {status} {doc}")
    with open(log_path, "rb") as f:
        lines = [line for line in f.read().split(b"\n")
                 if b"user=ipv6-user" in line]
    want = b" warn web: login failed peer=::1 user=ipv6-user"
    checks.check(len(lines) == 1 and lines[0].endswith(want),
                 f"login line over IPv6: {lines}, expected one ending "
                 f"{want!r}")


def check_login_log_client_gone(port, log_path, checks):
    """A client that resets its connection right after sending a wrong
    password for a real user is logged all the same."""
    with open(log_path, "rb") as f:
        before = f.read().count(b"login failed peer=127.0.0.1 user=admin\n")
    body = json.dumps({"user": "admin", "password": "wrong"}).encode()
    head = (f"POST /api/v1/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                     struct.pack("ii", 1, 0))
        s.sendall(head + body)
        time.sleep(0.01)
    after = before
    deadline = time.time() + 5
    while after == before and time.time() < deadline:
        time.sleep(0.2)
        with open(log_path, "rb") as f:
            after = f.read().count(
                b"login failed peer=127.0.0.1 user=admin\n")
    checks.check(after == before + 1,
                 f"login lines of a client gone: {after - before}, "
                 "expected 1")


def check_page_slots(port, proc, checks):
    max_alive = 0
    stop = False

    def watch():
        nonlocal max_alive
        while not stop:
            max_alive = max(max_alive, len(page_sandboxes(proc.pid)))
            time.sleep(0.01)

    def get(_):
        status, _, data = request(port, "GET",
                                  "/api/v1/plugins/slow/pages/loop")
        return status, json.loads(data)

    with concurrent.futures.ThreadPoolExecutor(11) as pool:
        watcher = pool.submit(watch)
        answers = list(pool.map(get, range(10)))
        stop = True
        watcher.result()
    statuses = sorted(s for s, _ in answers)
    busy = [d for s, d in answers if s == 503]
    checks.check(statuses == [503] * 6 + [504] * 4,
                 f"10 parallel slow pages: {statuses}, expected 6x503 4x504")
    checks.check(all(d.get("error") == "busy" for d in busy),
                 f"503 answers are busy: {busy}")
    checks.check(0 < max_alive <= PAGES_RUNNING_MAX,
                 f"page sandboxes alive at once: {max_alive}, at most "
                 f"{PAGES_RUNNING_MAX}")
    # Every slot is free again: one more request renders (and times out).
    status, _, _ = request(port, "GET", "/api/v1/plugins/slow/pages/loop")
    checks.check(status == 504, f"a page after the burst: {status}")


def check_static_method(port, checks):
    for method in ("POST", "PUT", "DELETE"):
        status, headers, data = request(port, method, "/index.html", b"x")
        try:
            doc = json.loads(data)
        except ValueError:
            doc = {"unparsed": data[:80]}
        checks.check(status == 405 and
                     headers.get("content-type", "").startswith(
                         "application/json") and
                     doc.get("error") == "method_not_allowed" and
                     headers.get("allow") == "GET, HEAD",
                     f"{method} /index.html: {status} {headers} {doc}")
    status, _, data = request(port, "GET", "/index.html")
    checks.check(status == 200 and data == b"<html>vigil</html>\n",
                 f"GET /index.html still served: {status} {data[:40]}")


def check_password_type(port, checks):
    for value, name in ((1, "a number"), (None, "null"), ([], "an array")):
        status, _, doc = login(port, "admin", value)
        want = f"the member 'password' must be a string, not {name}"
        checks.check(status == 400 and doc.get("message") == want and
                     doc.get("parameter") == "password",
                     f"password {value!r}: {status} {doc}, expected {want!r}")
    status, headers, doc = login(port, "admin", ADMIN_PASSWORD)
    checks.check(status == 200, f"login with a string password: {status}")
    # The session for the page requests.
    COOKIE["cookie"] = headers.get("set-cookie", "").split(";")[0]


def check_linked_pages(port, outside, checks):
    status, _, data = request(port, "GET", "/api/v1/plugins/pages")
    text = data.decode(errors="replace")
    doc = json.loads(data) if status == 200 else {}
    errors = doc.get("errors", [])
    checks.check(SECRET not in text, f"menu answer quotes the target: {text}")
    want = {"plugin": "linked_menu",
            "message": "web_gui/menu.lua is a symlink out of the plugin "
                       "folder"}
    checks.check(status == 200 and errors == [want],
                 f"menu symlink: {status} {errors}, expected [{want}]")
    status, _, data = request(port, "GET",
                              "/api/v1/plugins/linked_page/pages/p")
    text = data.decode(errors="replace")
    want = {"error": "plugin_page_error",
            "message": "web_gui/p.lua is a symlink out of the plugin folder"}
    checks.check(status == 502 and json.loads(data) == want,
                 f"page symlink: {status} {text}, expected 502 {want}")


def check_users_file(web_path, config, tmp, checks):
    users = os.path.join(tmp, "web-data", "users")
    with open(users) as f:
        good = f.read()
    # A junk line: a start fails on it, so --check-config must too.
    with open(users, "a") as f:
        f.write("junk\n")
    want = (f"vigil-web: {users}:2: expected name:admin|readonly:hash "
            "(at most")
    out = subprocess.run([web_path, "--check-config", config],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, timeout=60)
    checks.check(out.returncode == 1 and out.stdout == "" and
                 out.stderr.startswith(want),
                 f"--check-config with a junk users line: {out.returncode} "
                 f"{out.stdout!r} {out.stderr!r}, expected {want!r}")
    with open(users, "w") as f:
        f.write(good)

    os.chmod(users, 0o666)
    warning = (f"vigil-web: warning: {users}: mode 0666 lets group and "
               f"others read or write the password hashes; run chmod 600 "
               f"{users}\n")
    out = subprocess.run([web_path, "--check-config", config],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, timeout=60)
    checks.check(out.returncode == 0 and
                 out.stdout == f"{config}: valid, but not on this machine "
                               "(1 warning)\n" and out.stderr == warning,
                 f"--check-config with a 0666 users file: {out.returncode} "
                 f"{out.stdout!r} {out.stderr!r}, expected {warning!r}")
    out = subprocess.run([web_path, "--check-config", config, "--strict"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, timeout=60)
    checks.check(out.returncode == 1 and out.stderr.startswith(warning),
                 f"--check-config --strict with a 0666 users file: "
                 f"{out.returncode} {out.stderr!r}")
    os.chmod(users, 0o640)
    out = subprocess.run([web_path, "--check-config", config],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, timeout=60)
    checks.check(out.returncode == 0 and "mode 0640 lets its group" in
                 out.stderr, f"0640 users file: {out.stderr!r}")
    os.chmod(users, 0o600)
    out = subprocess.run([web_path, "--check-config", config],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, timeout=60)
    checks.check(out.returncode == 0 and out.stdout == f"{config}: valid\n"
                 and out.stderr == "",
                 f"0600 users file: {out.stdout!r} {out.stderr!r}")


def write_one_packet(path):
    """A pcap file with one UDP packet, 10.0.0.1:1234 to 10.0.0.2:53."""
    udp = struct.pack("!HHHH", 1234, 53, 8, 0)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17,
                     0, bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
    frame = b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + ip + udp
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        f.write(struct.pack("<IIII", 1_700_000_000, 0, len(frame),
                            len(frame)) + frame)


def check_port_name_log(vigild_path, tmp, checks):
    pcap = os.path.join(tmp, "one.pcap")
    write_one_packet(pcap)
    config = os.path.join(tmp, "vigild.yaml")
    # YAML's "\e" is ESC and "\n" a newline.
    with open(config, "w") as f:
        f.write(f"""
capture:
  ports:
    - pcap: {pcap}
      name: "p\\e[31m\\nZ info capture: forged"
lcores:
  control: 0
  rx: [1]
  engine: [1]
memory:
  hugepages: false
  size_mb: 256
log:
  level: info
  status_interval: 0
""")
    out = subprocess.run([vigild_path, "-c", config],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         timeout=120)
    log = out.stdout
    lines = [line for line in log.split(b"\n")
             if b"summary port=" in line]
    want = b"summary port=p\\x1b[31m\\nZ info capture: forged device="
    checks.check(out.returncode == 0 and len(lines) == 1 and
                 want in lines[0],
                 f"vigild port name: {out.returncode} {lines}, expected one "
                 f"line with {want!r}")
    checks.check(b"\x1b" not in log and
                 not any(line.startswith(b"Z ") for line in log.split(b"\n")),
                 f"vigild log has no raw ESC and no forged line: {log!r}")


def main():
    web_path = sys.argv[1]
    vigild_path = sys.argv[2]
    checks = vigtest.Checks()
    with tempfile.TemporaryDirectory(prefix="vigil-hostile-") as tmp:
        os.chmod(tmp, 0o755)  # the page sandbox runs as another user
        outside = os.path.join(tmp, "outside", "secret.conf")
        os.makedirs(os.path.dirname(outside))
        with open(outside, "w") as f:
            f.write(f"dbpass {SECRET}\n")
        os.chmod(outside, 0o600)
        plugins = os.path.join(tmp, "plugins")
        write_plugins(plugins, outside)
        os.makedirs(os.path.join(tmp, "static"))
        with open(os.path.join(tmp, "static", "index.html"), "w") as f:
            f.write("<html>vigil</html>\n")
        port = free_port()
        ipv6 = has_ipv6_loopback()
        config = write_config(tmp, port, plugins, ipv6)
        log_path = os.path.join(tmp, "web.log")
        with open(log_path, "w") as log:
            proc = subprocess.Popen([web_path, "-c", config], stdout=log,
                                    stderr=subprocess.STDOUT)
        try:
            wait_listening(port, proc)
            check_login_log(port, log_path, checks)
            if ipv6:
                check_login_log_ipv6(port, log_path, checks)
                check_login_log_client_gone(port, log_path, checks)
            else:
                print("NOTE: ::1 cannot be bound, IPv6 login not checked")
            check_static_method(port, checks)
            check_password_type(port, checks)
            check_page_slots(port, proc, checks)
            check_linked_pages(port, outside, checks)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        check_users_file(web_path, config, tmp, checks)
        check_port_name_log(vigild_path, tmp, checks)
    checks.finish()


if __name__ == "__main__":
    main()
