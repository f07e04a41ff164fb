#!/usr/bin/env python3
"""The ndpi_risks plugin against nDPI 4.2's own reader on the reference
captures.

Runs vigild with the ndpi_risks plugin alone on every capture whose
ndpiReader result lists a risk, and checks two things on each flow:

1. its ndpi_ statuses are exactly its own `risks`, mapped to status keys,
   and its score is the sum of nDPI's scores for them;
2. for flows that match a reference flow by endpoints, its statuses are
   the risks ndpiReader lists for that flow (`[Risk: ** ... **]`).

Reading a capture file, vigild waits for the flowEnd results before it
writes a record, so a risk nDPI adds only as the flow ends reaches the
record too, and the first check holds for every flow. The second allows 1% of matched flows to differ, the floor vigild's
classification is held to against ndpiReader (a flow classified
differently gets different risks). Skips (exit 77) without the corpus.

usage: plugins_ndpi_risks.py VIGILD SOURCE_ROOT
"""
import json
import os
import re
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vigtest  # noqa: E402

# nDPI 4.2's risk names (ndpi_risk2str) with the status the plugin sets and
# nDPI's score (ndpi_risk2score of the single risk), written out here so
# the test does not read the plugin's own table.
RISKS = {
    "XSS Attack": ("ndpi_xss", 250),
    "SQL Injection": ("ndpi_sql_injection", 250),
    "RCE Injection": ("ndpi_rce_injection", 250),
    "Binary Application Transfer": ("ndpi_binary_application_transfer", 250),
    "Known Protocol on Non Standard Port":
        ("ndpi_known_proto_on_non_std_port", 50),
    "Self-signed Certificate": ("ndpi_tls_self_signed_certificate", 100),
    "Obsolete TLS Version (1.1 or older)": ("ndpi_tls_obsolete_version", 100),
    "Weak TLS Cipher": ("ndpi_tls_weak_cipher", 100),
    "TLS Expired Certificate": ("ndpi_tls_certificate_expired", 100),
    "TLS Certificate Mismatch": ("ndpi_tls_certificate_mismatch", 100),
    "HTTP Suspicious User-Agent": ("ndpi_http_suspicious_user_agent", 100),
    "HTTP Numeric IP Address": ("ndpi_http_numeric_ip_host", 10),
    "HTTP Suspicious URL": ("ndpi_http_suspicious_url", 100),
    "HTTP Suspicious Header": ("ndpi_http_suspicious_header", 100),
    "TLS (probably) Not Carrying HTTPS": ("ndpi_tls_not_carrying_https", 10),
    "Suspicious DGA Domain name": ("ndpi_suspicious_dga_domain", 100),
    "Malformed Packet": ("ndpi_malformed_packet", 10),
    "SSH Obsolete Client Version/Cipher": ("ndpi_ssh_obsolete_client", 100),
    "SSH Obsolete Server Version/Cipher": ("ndpi_ssh_obsolete_server", 50),
    "SMB Insecure Version": ("ndpi_smb_insecure_version", 100),
    "TLS Suspicious ESNI Usage": ("ndpi_tls_suspicious_esni_usage", 50),
    "Unsafe Protocol": ("ndpi_unsafe_protocol", 10),
    "Suspicious DNS Traffic": ("ndpi_dns_suspicious_traffic", 100),
    "Missing SNI TLS Extension": ("ndpi_tls_missing_sni", 50),
    "HTTP Suspicious Content": ("ndpi_http_suspicious_content", 100),
    "Risky ASN": ("ndpi_risky_asn", 50),
    "Risky Domain Name": ("ndpi_risky_domain", 50),
    "Possibly Malicious JA3 Fingerprint": ("ndpi_malicious_ja3", 50),
    "Possibly Malicious SSL Cert. SHA1 Fingerprint":
        ("ndpi_malicious_sha1_certificate", 50),
    "Desktop/File Sharing Session":
        ("ndpi_desktop_or_file_sharing_session", 10),
    "Uncommon TLS ALPN": ("ndpi_tls_uncommon_alpn", 50),
    "TLS Certificate Validity Too Long":
        ("ndpi_tls_certificate_validity_too_long", 50),
    "TLS Suspicious Extension": ("ndpi_tls_suspicious_extension", 100),
    "TLS Fatal Alert": ("ndpi_tls_fatal_alert", 10),
    "Suspicious Entropy": ("ndpi_suspicious_entropy", 50),
    "Clear-Text Credentials": ("ndpi_clear_text_credentials", 100),
    "DNS Packet Larger Than 512 bytes": ("ndpi_dns_large_packet", 50),
    "Fragmented DNS Message": ("ndpi_dns_fragmented", 50),
    "Text Contains Non-Printable Characters":
        ("ndpi_invalid_characters", 100),
    "Possible Exploit Detected": ("ndpi_possible_exploit", 250),
    "TLS Certificate About To Expire":
        ("ndpi_tls_certificate_about_to_expire", 50),
}

# Share of matched flows whose statuses must equal ndpiReader's risks.
FLOOR = 0.99

LINE = re.compile(r"^\t\d+\t(?P<l4>\S+) (?P<a>\S+) (?:<->|->) (?P<b>\S+) \[")
RISK = re.compile(r"\[Risk: ([^\]]*)\]")


def endpoint(text):
    host, _, port = text[1:].rpartition("]:") if text.startswith("[") \
        else text.rpartition(":")
    return host, int(port)


def reference_risks(path):
    """{(l4, frozenset of endpoints): set of risk names} of a result file;
    flows listed twice under one key are left out as ambiguous."""
    flows, seen_twice = {}, set()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = LINE.match(line)
            if not m:
                continue
            key = (m.group("l4").upper(),
                   frozenset((endpoint(m.group("a")),
                              endpoint(m.group("b")))))
            risk = RISK.search(line)
            names = set()
            if risk:
                names = {n.strip() for n in risk.group(1).split("**")
                         if n.strip()}
            if key in flows:
                seen_twice.add(key)
            flows[key] = names
    for key in seen_twice:
        del flows[key]
    return flows


def record_key(r):
    return (r["l4"], frozenset(((r["client_ip"], r["client_port"]),
                                (r["server_ip"], r["server_port"]))))


def ndpi_statuses(r):
    return {s for s in r["statuses"] if s.startswith("ndpi_")}


def main():
    vigild, source_root = sys.argv[1], sys.argv[2]
    corpus = vigtest.corpus_dir(source_root)
    result_dir = os.path.join(corpus, "result")
    names = []
    for name in sorted(os.listdir(os.path.join(corpus, "pcap"))):
        ref = os.path.join(result_dir, name + ".out")
        if os.path.exists(ref):
            with open(ref, encoding="utf-8", errors="replace") as f:
                if "[Risk: " in f.read():
                    names.append(name)
    if not names:
        vigtest.skip("no reference result lists a risk")
    checks = vigtest.Checks()
    extra = vigtest.corpus_args(corpus)

    with tempfile.TemporaryDirectory(prefix="vigil-risks-") as out:
        plugins = os.path.join(out, "plugins")
        shutil.copytree(os.path.join(source_root, "plugins", "security",
                                     "ndpi_risks"),
                        os.path.join(plugins, "security", "ndpi_risks"))

        def job(name):
            capture = os.path.join(corpus, "pcap", name)
            flows = os.path.join(out, name + ".jsonl")
            return lambda: vigtest.run_vigild(
                vigild, capture, flows,
                [*extra, "--plugins", plugins, "--log-level", "warn"])

        results = vigtest.run_many([(n, job(n)) for n in names])
        own_total = own_ok = ref_total = ref_ok = 0
        for name in names:
            status, stderr = results[name]
            checks.check(status == 0,
                         f"{name}: vigild exited {status}: {stderr[-300:]}")
            records = vigtest.read_records(os.path.join(out, name +
                                                        ".jsonl"))
            reference = reference_risks(os.path.join(result_dir,
                                                     name + ".out"))
            for r in records:
                unknown = [n for n in r["risks"] if n not in RISKS]
                checks.check(not unknown, f"{name}: risk names not in "
                             f"nDPI 4.2's list: {unknown}")
                want = {RISKS[n][0] for n in r["risks"] if n in RISKS}
                score = sum(RISKS[n][1] for n in r["risks"] if n in RISKS)
                own_total += 1
                if ndpi_statuses(r) == want and r["score"] == score:
                    own_ok += 1
                else:
                    print(f"{name}: {r['client_ip']}:{r['client_port']} -> "
                          f"{r['server_ip']}:{r['server_port']} risks "
                          f"{r['risks']} statuses {r['statuses']} score "
                          f"{r['score']}")
                ref = reference.get(record_key(r))
                if ref is None:
                    continue
                ref_total += 1
                if ndpi_statuses(r) == {RISKS.get(n, ("?" + n,))[0]
                                        for n in ref}:
                    ref_ok += 1
                else:
                    print(f"{name}: {r['client_ip']}:{r['client_port']} -> "
                          f"{r['server_ip']}:{r['server_port']} "
                          f"ndpiReader {sorted(ref)} statuses "
                          f"{sorted(ndpi_statuses(r))}")
        print(f"own risks: {own_ok}/{own_total} flows agree; reference: "
              f"{ref_ok}/{ref_total} matched flows agree")
        checks.check(own_total > 0 and own_ok == own_total,
                     f"statuses equal the flow's own risks on {own_ok} of "
                     f"{own_total} flows")
        checks.check(ref_total > 0 and ref_ok >= FLOOR * ref_total,
                     f"statuses equal ndpiReader's risks on {ref_ok} of "
                     f"{ref_total} matched flows")
    checks.finish()


if __name__ == "__main__":
    main()
