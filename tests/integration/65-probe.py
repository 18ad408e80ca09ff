#!/usr/bin/env python3
"""Packets for tests/integration/65-differential.sh.

  65-probe.py gen POLICY MODE SEED COUNT BASE > PACKETS
      COUNT random packets biased towards the policy's edges (addresses at
      prefix boundaries +-1, ports at range ends +-1, inside and outside
      every set, DNS to resolvers, the router and elsewhere), one line each:
      "TAG PROTO DST PORT VERDICT WHERE": TAG = BASE + index, the IPv4
      identification field the packet carries; VERDICT from policy_eval.py;
      WHERE the address an allowed packet arrives at (DNS to the router is
      translated to the mode's first resolver).
  65-probe.py capture IFACE OUT
      records every IPv4 packet arriving on IFACE (AF_PACKET: before that
      namespace's firewall) that carries this test's DSCP mark, one line
      "TAG PROTO SRC DST PORT", until SIGTERM. OUT.ready appears once the
      socket listens.
  65-probe.py send SRC PACKETS OUT [GAP_MS [WAIT_S]]
      in the work namespace: sends each packet (a TCP SYN, a UDP datagram
      or an ICMP echo request) from SRC through a raw socket, then writes
      "TAG REPLY" for what came back on eth0: rst, icmp3/13 (admin
      prohibited), another icmpT/C, answer (the far end answered), none.
  65-probe.py compare MODE PACKETS SENT PATH-CAPTURE [OTHER-CAPTURE...]
      joins them: a packet crossed when PATH-CAPTURE saw it (with the
      expected destination, protocol and port); it must cross exactly when
      the evaluator allows it, never appear in another capture, and a
      refused one must have been answered (rst for TCP, icmp3/13 else).
      Prints "class NAME TOTAL BAD" per class, "bad CLASS TEXT" per
      disagreement and "total N BAD".

Every packet carries DSCP CS1 (TOS 0x20) so that captures and the test's
own drop rules at the far end pick out exactly these packets.
"""
import os
import random
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import policy_eval  # noqa: E402

TOS = 0x20                      # DSCP CS1
SEQ_BASE = 0x5EC10000           # TCP sequence number = SEQ_BASE + TAG
ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4

# ---- gen -------------------------------------------------------------------------

A = policy_eval.addr
F = policy_eval.fmt

# Addresses a random draw must not produce: the netvm's own links (their
# broadcast addresses draw no answer at all), the tunnel's network, the
# unusable ranges. Named hosts on those links are added back on purpose.
EXCLUDE = [("0.0.0.0", "0.255.255.255"), ("127.0.0.0", "127.255.255.255"),
           ("224.0.0.0", "255.255.255.255"), ("172.30.0.0", "172.30.0.3"),
           ("10.77.0.0", "10.77.0.255"), ("192.168.1.0", "192.168.1.255"),
           ("10.66.0.0", "10.66.0.255"), ("192.0.2.0", "192.0.2.255"),
           ("10.255.0.0", "10.255.255.255")]
EXCLUDE = [(A(f), A(l)) for f, l in EXCLUDE]
# Outside LGWAN: the home router and printer, the internet's web and DNS,
# a public resolver, the office router, beacon and resolver.
OUTSIDE = ["192.168.1.1", "192.168.1.50", "198.51.100.80", "198.51.100.53",
           "8.8.8.8", "10.66.0.1", "10.66.0.2", "10.66.0.53"]


def excluded(a):
    return any(f <= a <= l for f, l in EXCLUDE)


def edges(first, last, rnd):
    """Addresses at and around a prefix's boundaries, and one inside."""
    out = [first - 1, first, first + 1, last - 1, last, last + 1,
           rnd.randint(first, last)]
    return [a for a in out if 0 <= a < 2 ** 32]


def port_edges(ranges, rnd):
    out = []
    for lo, hi in ranges:
        out += [lo - 1, lo, hi, hi + 1, rnd.randint(lo, hi)]
    return [p for p in out if 1 <= p <= 65535]


def gen(policy_path, mode, seed, count, base):
    pol = policy_eval.load(policy_path)
    rnd = random.Random(f"{seed}:{mode}")
    all_prefixes = list(pol.lgwan)
    for v in pol.sets.values():
        all_prefixes += v
    for s in pol.services:
        all_prefixes += s.prefixes
    all_tcp = [r for s in pol.services for r in s.tcp]
    all_udp = [r for s in pol.services for r in s.udp]
    dns_targets = pol.resolvers + pol.office_resolvers + [pol.router]
    outside = [A(a) for a in OUTSIDE]
    for f, l in pol.lgwan:      # just outside each lgwan prefix
        outside += [f - 1, l + 1]
    special = set(outside) | set(dns_targets)

    def any_port(proto):
        ranges = all_tcp if proto == "tcp" else all_udp
        if rnd.random() < 0.75 and ranges:
            return rnd.choice(port_edges(ranges, rnd) + [53, 52, 54, 853])
        return rnd.randint(1, 65535)

    def draw():
        r = rnd.random()
        if r < 0.45 and pol.services:           # towards one service's edges
            s = rnd.choice(pol.services)
            protos = (["tcp"] * bool(s.tcp) + ["udp"] * bool(s.udp) +
                      ["icmp"] * s.icmp) or ["tcp", "udp", "icmp"]
            proto = rnd.choice(protos)
            f, l = rnd.choice(s.prefixes)
            a = rnd.choice(edges(f, l, rnd))
            ranges = s.tcp if proto == "tcp" else s.udp
            if proto == "icmp":
                port = 0
            elif ranges and rnd.random() < 0.8:
                port = rnd.choice(port_edges(ranges, rnd))
            else:
                port = any_port(proto)
        elif r < 0.60:                          # DNS, here and elsewhere
            proto = rnd.choice(["udp", "udp", "tcp"])
            port = rnd.choice([53, 53, 53, 853, 52, 54]) if proto == "tcp" \
                else rnd.choice([53, 53, 53, 52, 54])
            pick = rnd.random()
            if pick < 0.6:
                a = rnd.choice(dns_targets)
            elif pick < 0.8:
                a = rnd.choice(edges(*rnd.choice(all_prefixes), rnd))
            else:
                a = rnd.choice(outside)
        elif r < 0.85:                          # any set's edges, any protocol
            proto = rnd.choice(["tcp", "tcp", "udp", "udp", "icmp"])
            a = rnd.choice(edges(*rnd.choice(all_prefixes), rnd))
            port = 0 if proto == "icmp" else any_port(proto)
        else:                                   # outside LGWAN
            proto = rnd.choice(["tcp", "tcp", "udp", "udp", "icmp"])
            a = rnd.choice(outside) if rnd.random() < 0.7 else \
                rnd.randint(A("10.0.0.0"), A("10.255.255.255"))
            port = 0 if proto == "icmp" else any_port(proto)
        if proto == "icmp" and a == pol.router:
            return None                         # the netvm itself answers
        if excluded(a) and a not in special:
            return None
        return proto, a, port

    n = 0
    while n < count:
        d = draw()
        if d is None:
            continue
        proto, a, port = d
        v = pol.verdict(mode, proto, a, port)
        print(f"{base + n} {proto} {F(a)} {port} {v} {pol.translated(mode, proto, a, port)}")
        n += 1
    return 0


# ---- checksums and packets -----------------------------------------------------

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip_header(src, dst, proto, tag, payload_len):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, TOS, 20 + payload_len, tag, 0x4000,
                    64, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


def l4_csum(src, dst, proto, seg):
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + \
        struct.pack("!BBH", 0, proto, len(seg))
    return csum(pseudo + seg)


def packet(src, tag, proto, dst, port):
    sport = 20000 + tag % 40000
    mark = b"sk65:%d" % tag
    if proto == "tcp":
        # a SYN with an MSS option, as connect() would send
        seg = struct.pack("!HHIIBBHHH", sport, port, SEQ_BASE + tag, 0, 6 << 4,
                          0x02, 64240, 0, 0) + struct.pack("!BBH", 2, 4, 1460)
        c = l4_csum(src, dst, 6, seg)
        seg = seg[:16] + struct.pack("!H", c) + seg[18:]
        return ip_header(src, dst, 6, tag, len(seg)) + seg
    if proto == "udp":
        seg = struct.pack("!HHHH", sport, port, 8 + len(mark), 0) + mark
        c = l4_csum(src, dst, 17, seg) or 0xFFFF
        seg = seg[:6] + struct.pack("!H", c) + seg[8:]
        return ip_header(src, dst, 17, tag, len(seg)) + seg
    seg = struct.pack("!BBHHH", 8, 0, 0, tag, 1) + mark
    seg = seg[:2] + struct.pack("!H", csum(seg)) + seg[4:]
    return ip_header(src, dst, 1, tag, len(seg)) + seg


def read_packets(path):
    out = []
    with open(path) as f:
        for line in f:
            w = line.split()
            out.append({"tag": int(w[0]), "proto": w[1], "dst": w[2],
                        "port": int(w[3]), "verdict": w[4], "where": w[5]})
    return out


# ---- capture ---------------------------------------------------------------------

PROTO_NAMES = {1: "icmp", 6: "tcp", 17: "udp"}


def describe(pkt):
    """IPv4 bytes -> (tag, proto, src, dst, port, tos) or None."""
    if len(pkt) < 20 or pkt[0] >> 4 != 4:
        return None
    ihl = (pkt[0] & 15) * 4
    tos, tag, proto = pkt[1], struct.unpack("!H", pkt[4:6])[0], pkt[9]
    src, dst = socket.inet_ntoa(pkt[12:16]), socket.inet_ntoa(pkt[16:20])
    l4 = pkt[ihl:]
    port = struct.unpack("!H", l4[2:4])[0] if proto in (6, 17) and len(l4) >= 4 else 0
    return tag, PROTO_NAMES.get(proto, str(proto)), src, dst, port, tos


def capture(iface, out):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.settimeout(0.2)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    with open(out, "w") as f:
        open(out + ".ready", "w").close()
        while not stop:
            try:
                pkt, sa = s.recvfrom(65535)
            except socket.timeout:
                continue
            except InterruptedError:
                continue
            if sa[1] != ETH_P_IP or sa[2] == PACKET_OUTGOING:
                continue
            d = describe(pkt)
            if d is None or d[5] & 0xFC != TOS:
                continue
            f.write("%d %s %s %s %d\n" % d[:5])
            f.flush()
    return 0


# ---- send --------------------------------------------------------------------------

def reply_of(pkt, tags):
    """A reply arriving at work -> (tag, what) or None."""
    d = describe(pkt)
    if d is None:
        return None
    ihl = (pkt[0] & 15) * 4
    l4 = pkt[ihl:]
    if d[1] == "tcp" and len(l4) >= 14:
        seq, ack = struct.unpack("!II", l4[4:12])
        flags = l4[13]
        tag = (ack - 1 - SEQ_BASE) & 0xFFFFFFFF
        if tag in tags:
            return tag, "rst" if flags & 0x04 else "answer"
    if d[1] == "icmp" and len(l4) >= 8:
        t, c = l4[0], l4[1]
        if t in (3, 11, 12) and len(l4) >= 8 + 20:
            inner = describe(l4[8:])
            if inner is not None and inner[0] in tags:
                return inner[0], "icmp%d/%d" % (t, c)
        if t == 0:
            tag = struct.unpack("!H", l4[4:6])[0]
            if tag in tags:
                return tag, "answer"
    if d[1] == "udp":
        # an answer to one of ours: its destination port is our source port
        port = struct.unpack("!H", l4[2:4])[0] if len(l4) >= 4 else 0
        for tag in tags:
            if 20000 + tag % 40000 == port:
                return tag, "answer"
    return None


def send(src, packets, out, gap_ms=2.0, wait_s=1.5):
    pk = read_packets(packets)
    tags = {p["tag"] for p in pk}
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
    rx.bind(("eth0", 0))
    rx.setblocking(False)
    tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    replies = {}

    def drain():
        while True:
            try:
                pkt, sa = rx.recvfrom(65535)
            except BlockingIOError:
                return
            if sa[2] == PACKET_OUTGOING:
                continue
            r = reply_of(pkt, tags)
            if r is not None:
                replies.setdefault(r[0], []).append(r[1])

    for p in pk:
        tx.sendto(packet(src, p["tag"], p["proto"], p["dst"], p["port"]), (p["dst"], 0))
        time.sleep(gap_ms / 1000)
        drain()
    end = time.monotonic() + wait_s
    while time.monotonic() < end:
        time.sleep(0.02)
        drain()
    with open(out, "w") as f:
        for p in pk:
            r = replies.get(p["tag"], ["none"])
            f.write("%d %s\n" % (p["tag"], ",".join(sorted(set(r)))))
    return 0


# ---- compare -------------------------------------------------------------------------

def read_capture(path):
    seen = {}
    with open(path) as f:
        for line in f:
            w = line.split()
            seen.setdefault(int(w[0]), []).append((w[1], w[2], w[3], int(w[4])))
    return seen


def klass(p):
    if (p["proto"] == "udp" and p["port"] == 53) or \
            (p["proto"] == "tcp" and p["port"] in (53, 853)):
        return "dns"
    return "%s-%s" % (p["proto"], p["verdict"])


CLASSES = ["tcp-allow", "tcp-deny", "udp-allow", "udp-deny", "icmp-allow",
           "icmp-deny", "dns"]


def compare(mode, packets, sent, path, others):
    pk = read_packets(packets)
    replies = {}
    with open(sent) as f:
        for line in f:
            w = line.split()
            replies[int(w[0])] = w[1]
    on_path = read_capture(path)
    elsewhere = [(o, read_capture(o)) for o in others]
    total = {c: 0 for c in CLASSES}
    bad = {c: 0 for c in CLASSES}
    lines = []
    for p in pk:
        c = klass(p)
        total[c] += 1
        want = p["verdict"]
        seen = on_path.get(p["tag"], [])
        crossed = any(proto == p["proto"] and dst == p["where"] and
                      (proto == "icmp" or port == p["port"])
                      for proto, _, dst, port in seen)
        reply = replies.get(p["tag"], "none")
        problems = []
        if seen and not crossed:
            problems.append("arrived altered: %s" % seen)
        for o, cap in elsewhere:
            if p["tag"] in cap:
                problems.append("seen at %s" % os.path.basename(o))
        if want == "allow":
            if not crossed:
                problems.append("did not cross")
            if reply != "none":
                problems.append("sender got %s" % reply)
        else:
            if crossed:
                problems.append("crossed")
            expect = "rst" if p["proto"] == "tcp" else "icmp3/13"
            if reply != expect:
                problems.append("sender got %s, a refusal is %s" % (reply, expect))
        if problems:
            bad[c] += 1
            kernel = "allow" if crossed else "deny"
            lines.append("bad %s %s %s %s:%d tag %d: evaluator %s, kernel %s (%s)" % (
                c, mode, p["proto"], p["dst"], p["port"], p["tag"], want, kernel,
                "; ".join(problems)))
    for c in CLASSES:
        print("class %s %d %d" % (c, total[c], bad[c]))
    for line in lines:
        print(line)
    print("total %d %d" % (len(pk), sum(bad.values())))
    return 0


def main(argv):
    if len(argv) == 7 and argv[1] == "gen":
        return gen(argv[2], argv[3], argv[4], int(argv[5]), int(argv[6]))
    if len(argv) == 4 and argv[1] == "capture":
        return capture(argv[2], argv[3])
    if 5 <= len(argv) <= 7 and argv[1] == "send":
        return send(argv[2], argv[3], argv[4], *(float(x) for x in argv[5:]))
    if len(argv) >= 6 and argv[1] == "compare":
        return compare(argv[2], argv[3], argv[4], argv[5], argv[6:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
