#!/usr/bin/env python3
"""A deliberately simple evaluator of the device policy (docs/policy.md),
the reference side of tests/integration/65-differential.sh.

It reads the policy TEXT with its own tiny reader (not the C parser) and
answers, for one packet that the work partition sends, whether the netvm
must let it into the mode's path (allow) or refuse it (deny):

    policy_eval.py POLICY MODE PROTO DST [PORT]     -> "allow" or "deny"
    policy_eval.py --batch POLICY < lines            "MODE PROTO DST PORT"
                                                     -> one verdict a line

MODE is remote or office, PROTO tcp, udp or icmp (an echo request; PORT
is ignored), DST a dotted quad.

What it knows of the language, and nothing more (IPv4 only: IPv6
prefixes are skipped):
  - set "NAME" { prefix ... }             a named list of prefixes
  - lgwan { prefix ...; set NAME; resolver ... }
                                          LGWAN = its prefixes and sets
  - office { resolver ... }               DNS for work in office mode
  - work { router ... }                   work's gateway and DNS server
  - service "NAME" { class ...; to SET-or-PREFIX; tcp PORTS; udp PORTS;
                     icmp echo; mode remote|office|any }
        a service with no tcp, udp or icmp line is every protocol; no
        service block at all means everything in LGWAN, every protocol;
        mode defaults to any.
  - every other block (device, gateway, work's other lines, beacon,
    uplink, timers, distribution, inbound) says nothing about work's
    outgoing packets and is skipped.

The rules (DESIGN.md "Modes of the netvm", README "What works now",
docs/policy.md):
  1. DNS (UDP 53, TCP 53 and DNS over TLS, TCP 853) goes only to the
     mode's resolvers: the office resolvers in office mode when the policy
     names some, else the lgwan resolvers. DNS on port 53 to the work
     router is translated to the first of them and allowed; DNS to any
     other address is refused, whatever the services say.
  2. Port 53 (UDP or TCP) to one of the mode's resolvers is allowed.
  3. Otherwise a packet is allowed when a service active in the mode
     names a prefix holding DST and admits the protocol and port (or every
     protocol) -- or, without any service, when DST is in LGWAN.
  4. Everything else is refused.

Written to be obviously right rather than fast: linear scans over lists.
"""
import sys


# ---- reading the text --------------------------------------------------------

class PolicyError(Exception):
    pass


def tokens(text):
    """(line, token) pairs; "\\n" ends a statement. Quoted strings lose
    their quotes: a word and a string are the same value."""
    out = []
    for lineno, line in enumerate(text.split("\n"), 1):
        i = 0
        while i < len(line):
            c = line[i]
            if c in " \t":
                i += 1
            elif c == "#":
                break
            elif c in "{}":
                out.append((lineno, c))
                i += 1
            elif c == '"':
                j = line.find('"', i + 1)
                if j < 0:
                    raise PolicyError(f"line {lineno}: unterminated string")
                out.append((lineno, line[i + 1:j]))
                i = j + 1
            else:
                j = i
                while j < len(line) and line[j] not in ' \t{}#"':
                    j += 1
                out.append((lineno, line[i:j]))
                i = j
        out.append((lineno, "\n"))
    return out


def statements(toks):
    """A tree: a list of (words, children-or-None). A statement ends at a
    newline, a '{' (its block follows) or a '}'."""
    pos = 0

    def block(depth):
        nonlocal pos
        out, words = [], []
        while pos < len(toks):
            line, t = toks[pos]
            pos += 1
            if t == "\n":
                if words:
                    out.append((words, None))
                words = []
            elif t == "{":
                if not words:
                    raise PolicyError(f"line {line}: '{{' without a keyword")
                out.append((words, block(depth + 1)))
                words = []
            elif t == "}":
                if words:
                    out.append((words, None))
                if depth == 0:
                    raise PolicyError(f"line {line}: '}}' outside any block")
                return out
            else:
                words.append(t)
        if depth != 0:
            raise PolicyError("unterminated block")
        if words:
            out.append((words, None))
        return out

    return block(0)


def addr(s):
    parts = s.split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
        raise PolicyError(f"bad address {s!r}")
    a = 0
    for p in parts:
        a = a * 256 + int(p)
    return a


def fmt(a):
    return ".".join(str((a >> s) & 255) for s in (24, 16, 8, 0))


def prefix(s):
    """'A.B.C.D/LEN' -> (first, last) addresses as integers."""
    if "/" not in s:
        raise PolicyError(f"bad prefix {s!r}")
    a, n = s.split("/")
    n = int(n)
    if not 0 <= n <= 32:
        raise PolicyError(f"bad prefix {s!r}")
    size = 1 << (32 - n)
    first = addr(a)
    if first % size:
        raise PolicyError(f"prefix {s!r} has host bits set")
    return (first, first + size - 1)


def ports(s):
    """'80,443,8000-8080' -> [(80, 80), (443, 443), (8000, 8080)]"""
    out = []
    for item in s.split(","):
        lo, _, hi = item.partition("-")
        lo, hi = int(lo), int(hi or lo)
        if not 1 <= lo <= hi <= 65535:
            raise PolicyError(f"bad ports {s!r}")
        out.append((lo, hi))
    return out


class Service:
    def __init__(self, name):
        self.name = name
        self.to = []            # set names and prefix strings, as written
        self.tcp, self.udp = [], []
        self.icmp = False
        self.modes = {"remote", "office"}
        self.prefixes = []      # (first, last), filled by Policy

    def every_protocol(self):
        return not self.tcp and not self.udp and not self.icmp


class Policy:
    def __init__(self, text):
        self.sets = {}          # name -> [(first, last)]
        self.lgwan = []         # (first, last)
        self.resolvers = []     # addresses
        self.office_resolvers = []
        self.router = None
        self.services = []
        lgwan_refs = []
        for words, children in statements(tokens(text)):
            kw = words[0]
            if kw == "set":
                if words[1] in self.sets:
                    raise PolicyError(f"set {words[1]!r} twice")
                self.sets[words[1]] = [prefix(w[1]) for w, _ in children
                                       if w[0] == "prefix" and ":" not in w[1]]
            elif kw == "lgwan":
                for w, _ in children:
                    if w[0] == "prefix" and ":" not in w[1]:
                        self.lgwan.append(prefix(w[1]))
                    elif w[0] == "set":
                        lgwan_refs.append(w[1])
                    elif w[0] == "resolver":
                        self.resolvers.append(addr(w[1]))
            elif kw == "office":
                for w, _ in children:
                    if w[0] == "resolver":
                        self.office_resolvers.append(addr(w[1]))
            elif kw == "work":
                for w, _ in children:
                    if w[0] == "router":
                        self.router = addr(w[1])
            elif kw == "service":
                s = Service(words[1])
                for w, _ in children:
                    if w[0] == "to":
                        s.to.append(w[1])
                    elif w[0] == "tcp":
                        s.tcp += ports(w[1])
                    elif w[0] == "udp":
                        s.udp += ports(w[1])
                    elif w[0] == "icmp":
                        if w[1] != "echo":
                            raise PolicyError(f"icmp {w[1]!r}")
                        s.icmp = True
                    elif w[0] == "mode":
                        s.modes = {"remote": {"remote"}, "office": {"office"},
                                   "any": {"remote", "office"}}[w[1]]
                self.services.append(s)
            # every other block says nothing about work's outgoing packets
        for name in lgwan_refs:
            self.lgwan += self.sets[name]
        for s in self.services:
            for t in s.to:
                if ":" in t:
                    continue            # IPv6: not this evaluator's business
                s.prefixes += [prefix(t)] if "/" in t else self.sets[t]

    # ---- the rules ----------------------------------------------------------

    def mode_resolvers(self, mode):
        if mode == "office" and self.office_resolvers:
            return self.office_resolvers
        return self.resolvers

    def in_lgwan(self, a):
        return any(f <= a <= l for f, l in self.lgwan)

    @staticmethod
    def port_in(p, ranges):
        return any(lo <= p <= hi for lo, hi in ranges)

    def service_allows(self, s, mode, proto, a, port):
        if mode not in s.modes:
            return False
        if not any(f <= a <= l for f, l in s.prefixes):
            return False
        if s.every_protocol():
            return True
        if proto == "tcp":
            return self.port_in(port, s.tcp)
        if proto == "udp":
            return self.port_in(port, s.udp)
        return proto == "icmp" and s.icmp

    def verdict(self, mode, proto, dst, port=0):
        """'allow' or 'deny' for one packet from work."""
        a = addr(dst) if isinstance(dst, str) else dst
        res = self.mode_resolvers(mode)
        dns = (proto == "udp" and port == 53) or (proto == "tcp" and port in (53, 853))
        if dns and port == 53 and (a in res or a == self.router):
            return "allow"
        if dns:
            return "deny"
        if not self.services:
            return "allow" if self.in_lgwan(a) else "deny"
        for s in self.services:
            if self.service_allows(s, mode, proto, a, port):
                return "allow"
        return "deny"

    def translated(self, mode, proto, dst, port=0):
        """Where an allowed packet arrives: DNS to the router goes to the
        mode's first resolver."""
        a = addr(dst) if isinstance(dst, str) else dst
        if a == self.router and proto in ("tcp", "udp") and port == 53:
            return fmt(self.mode_resolvers(mode)[0])
        return fmt(a)


def load(path):
    with open(path, encoding="utf-8") as f:
        return Policy(f.read())


def main(argv):
    if len(argv) == 3 and argv[1] == "--batch":
        p = load(argv[2])
        for line in sys.stdin:
            w = line.split()
            if w:
                print(p.verdict(w[0], w[1], w[2], int(w[3]) if len(w) > 3 else 0))
        return 0
    if len(argv) in (5, 6):
        p = load(argv[1])
        print(p.verdict(argv[2], argv[3], argv[4], int(argv[5]) if len(argv) > 5 else 0))
        return 0
    print("usage: policy_eval.py POLICY MODE PROTO DST [PORT]\n"
          "       policy_eval.py --batch POLICY < 'MODE PROTO DST PORT' lines",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
