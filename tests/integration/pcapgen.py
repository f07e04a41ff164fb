"""A small packet builder for the integration tests.

Builds Ethernet frames with IPv4 or IPv6 and TCP, UDP or ICMP, with correct
lengths and checksums, and writes them as a classic pcap file, so a test
can state exactly which packets vigild reads and compute the expected
records itself. write_pcapng() writes the same frames as a pcapng file.
"""
import ipaddress
import struct

ETH_IPV4 = 0x0800
ETH_IPV6 = 0x86DD
MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ethernet(payload, ethertype=ETH_IPV4, vlan=None):
    header = MAC_B + MAC_A
    if vlan is not None:
        header += struct.pack("!HH", 0x8100, vlan)
    return header + struct.pack("!H", ethertype) + payload


def ipv4(src, dst, proto, payload, ttl=64, ident=1):
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                         0x4000, ttl, proto, 0,
                         ipaddress.IPv4Address(src).packed,
                         ipaddress.IPv4Address(dst).packed)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def ipv6(src, dst, proto, payload):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), proto, 64,
                       ipaddress.IPv6Address(src).packed,
                       ipaddress.IPv6Address(dst).packed) + payload


def _pseudo(src, dst, proto, length):
    a = ipaddress.ip_address(src)
    b = ipaddress.ip_address(dst)
    if a.version == 4:
        return a.packed + b.packed + struct.pack("!BBH", 0, proto, length)
    return a.packed + b.packed + struct.pack("!IxxxB", length, proto)


def udp(src, sport, dst, dport, payload):
    length = 8 + len(payload)
    segment = struct.pack("!HHHH", sport, dport, length, 0) + payload
    csum = checksum(_pseudo(src, dst, 17, length) + segment) or 0xFFFF
    return segment[:6] + struct.pack("!H", csum) + segment[8:]


TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def tcp(src, sport, dst, dport, seq, ack, flags, payload=b"", window=64240):
    segment = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                          window, 0, 0) + payload
    csum = checksum(_pseudo(src, dst, 6, len(segment)) + segment)
    return segment[:16] + struct.pack("!H", csum) + segment[18:]


def icmp_echo(kind, ident, seq, payload=b"vigil-test"):
    body = struct.pack("!BBHHH", kind, 0, 0, ident, seq) + payload
    return body[:2] + struct.pack("!H", checksum(body)) + body[4:]


def packet(src, dst, proto, l4, vlan=None):
    """Wrap an L4 segment in IPv4 or IPv6 (by address) and Ethernet."""
    if ipaddress.ip_address(src).version == 4:
        return ethernet(ipv4(src, dst, proto, l4), ETH_IPV4, vlan)
    return ethernet(ipv6(src, dst, proto, l4), ETH_IPV6, vlan)


def dns_query(ident, name, response=False, answer_ip=None):
    flags = 0x8180 if response else 0x0100
    question = b"".join(bytes([len(p)]) + p.encode() for p in name.split("."))
    question += b"\0" + struct.pack("!HH", 1, 1)
    answers = 0
    body = b""
    if response and answer_ip:
        answers = 1
        body = struct.pack("!HHHIH4s", 0xC00C, 1, 1, 300, 4,
                           ipaddress.IPv4Address(answer_ip).packed)
    return struct.pack("!HHHHHH", ident, flags, 1, answers, 0, 0) + \
        question + body


def write_pcap(path, frames, linktype=1):
    """Write (timestamp in seconds, frame bytes) pairs as a pcap file."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535,
                            linktype))
        for ts, frame in frames:
            sec = int(ts)
            usec = int(round((ts - sec) * 1e6))
            f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
            f.write(frame)


def _pcapng_block(kind, body):
    """One pcapng block: type, total length, body padded to 4 bytes, length."""
    body += b"\0" * (-len(body) % 4)
    length = 12 + len(body)
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)


def pcapng_section_header():
    """A pcapng section header block, little-endian, version 1.0."""
    return _pcapng_block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0,
                                                  -1))


def write_pcapng(path, frames, linktype=1):
    """Write (timestamp in seconds, frame bytes) pairs as a pcapng file:
    one section, one interface with microsecond timestamps, one enhanced
    packet block per frame."""
    with open(path, "wb") as f:
        f.write(pcapng_section_header())
        f.write(_pcapng_block(1, struct.pack("<HHI", linktype, 0, 65535)))
        for ts, frame in frames:
            usec = int(round(ts * 1e6))
            f.write(_pcapng_block(6, struct.pack(
                "<IIIII", 0, usec >> 32, usec & 0xFFFFFFFF, len(frame),
                len(frame)) + frame))
