#!/usr/bin/env python3
"""Random policies for 67-incremental.sh: a first one and N-1 changes of
it, each of a few random kinds (prefixes added and withdrawn, named sets
changed, services added, removed, changed in ports, protocols or modes,
inbound rules, resolvers, the work and IPv6 settings, gateways).

usage: 67-randpol.py SEED N PREFIXES SERVICES OUTDIR
writes OUTDIR/0.conf .. OUTDIR/N-1.conf"""
import random
import sys

seed, n, npfx, nsvc, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
R = random.Random(seed)


def p24(i):
    return "10.%d.%d.0/24" % (100 + i // 128, (2 * i) % 256)


class Pol:
    def __init__(self):
        self.serial = 1
        self.prefixes = set(range(npfx))
        self.nsets = max(2, nsvc // 10)
        self.sets = {k: set(R.sample(range(npfx), min(npfx, 8))) for k in range(self.nsets)}
        self.services = {}
        for j in range(nsvc):
            self.services[j] = self.rand_service()
        self.inbound = {0: (R.randrange(self.nsets), 3389, "remote")}
        self.resolver = "10.100.0.53"
        self.office_resolver = None
        self.v6 = False
        self.work = "172.30.0.2/30"
        self.gw_port = 51820

    def rand_service(self):
        ports = sorted(R.sample(range(1000, 1100), R.randint(1, 3)))
        return {
            "set": R.randrange(self.nsets),
            "tcp": ports,
            "udp": sorted(R.sample(range(3000, 3010), R.randint(0, 2))),
            "icmp": R.random() < 0.3,
            "mode": R.choice(["", "", "remote", "office"]),
            "class": R.choice(["lgwan", "prelogon"]),
        }

    def change(self):
        kinds = R.sample(["prefix", "set", "svc_add", "svc_del", "svc_ports", "svc_mode",
                          "inbound", "resolver", "v6", "work", "gateway"], R.randint(1, 3))
        for k in kinds:
            if k == "prefix":
                for _ in range(R.randint(1, 3)):
                    i = R.randrange(npfx + 20)
                    # prefix 0 holds the resolver: it stays
                    if i in self.prefixes and i != 0 and len(self.prefixes) > 20:
                        self.prefixes.discard(i)
                        for s in self.sets.values():
                            s.discard(i)
                    else:
                        self.prefixes.add(i)
            elif k == "set":
                s = self.sets[R.randrange(self.nsets)]
                cand = sorted(self.prefixes - s)
                if cand:
                    s.add(R.choice(cand))
                if len(s) > 1:
                    s.discard(R.choice(sorted(s)))
            elif k == "svc_add":
                self.services[max(self.services, default=0) + 1] = self.rand_service()
            elif k == "svc_del" and len(self.services) > 1:
                del self.services[R.choice(sorted(self.services))]
            elif k == "svc_ports" and self.services:
                s = self.services[R.choice(sorted(self.services))]
                s["tcp"] = sorted(set(s["tcp"]) ^ {R.randrange(1000, 1100)}) or [1000]
                s["icmp"] = not s["icmp"]
            elif k == "svc_mode" and self.services:
                s = self.services[R.choice(sorted(self.services))]
                s["mode"] = R.choice(["", "remote", "office"])
            elif k == "inbound":
                if self.inbound and R.random() < 0.5:
                    del self.inbound[R.choice(sorted(self.inbound))]
                else:
                    self.inbound[max(self.inbound, default=0) + 1] = (
                        R.randrange(self.nsets), R.choice([22, 3389, 5900]), R.choice(["", "remote", "office"]))
            elif k == "resolver":
                self.resolver = "10.100.0.%d" % R.randrange(50, 60)
                self.office_resolver = R.choice([None, "10.99.0.53", "10.99.0.54"])
            elif k == "v6":
                self.v6 = not self.v6
            elif k == "work":
                self.work = R.choice(["172.30.0.2/30", "172.30.0.6/30"])
            elif k == "gateway":
                self.gw_port = R.choice([51820, 51821])
        self.serial += 1

    def text(self):
        live = sorted(self.prefixes)
        w = self.work.split("/")[0]
        router = w.rsplit(".", 1)[0] + "." + str(int(w.rsplit(".", 1)[1]) - 1)
        L = ["version 1", "serial %d" % self.serial, "device {",
             "\ttunnel-address 10.77.0.2/32"]
        if self.v6:
            L.append("\ttunnel-address6 fd00:77::2/128")
        L += ["\tkey-file /k", "}",
              "gateway gw {", "\tendpoint 192.0.2.10:%d" % self.gw_port,
              "\tpublic-key xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=", "}"]
        for k, s in sorted(self.sets.items()):
            members = sorted(s & self.prefixes) or live[:1]
            L.append('set "g%d" {' % k)
            L += ["\tprefix %s" % p24(i) for i in members]
            L.append("}")
        L.append("lgwan {")
        L += ["\tprefix %s" % p24(i) for i in live]
        if self.v6:
            L.append("\tprefix 2001:db8:64::/48")
        L += ["\tresolver %s" % self.resolver, "}"]
        L += ["work {", "\taddress %s" % self.work, "\trouter %s" % router]
        if self.v6:
            L += ["\taddress6 fd00:30::2/64", "\trouter6 fd00:30::1"]
        L.append("}")
        if self.office_resolver:
            L += ["office {", "\tresolver %s" % self.office_resolver, "}"]
        for j, s in sorted(self.services.items()):
            L += ['service "s%d" {' % j, "\tclass %s" % s["class"], "\tto g%d" % s["set"]]
            L.append("\ttcp %s" % ",".join(map(str, s["tcp"])))
            if s["udp"]:
                L.append("\tudp %s" % ",".join(map(str, s["udp"])))
            if s["icmp"]:
                L.append("\ticmp echo")
            if s["mode"]:
                L.append("\tmode %s" % s["mode"])
            L.append("}")
        for j, (k, port, mode) in sorted(self.inbound.items()):
            L += ['inbound "in%d" {' % j, "\tfrom g%d" % k, "\ttcp %d" % port]
            if mode:
                L.append("\tmode %s" % mode)
            L.append("}")
        return "\n".join(L) + "\n"


p = Pol()
for i in range(n):
    if i:
        p.change()
    with open("%s/%d.conf" % (out, i), "w") as f:
        f.write(p.text())
