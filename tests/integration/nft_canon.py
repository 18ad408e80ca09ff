#!/usr/bin/env python3
"""`nft -j list table ...` (file or stdin) -> canonical text.

Two tables with the same sets, elements, chains and rules print the same,
whatever order they were created in: the kernel lists sets and chains in
creation order, which a full load and a load by difference (or a restart)
do not share. Handles, the vouch's countdown and counters are left out,
set elements are sorted; the order of rules within a chain is kept, since
it is what the rules mean."""
import json
import sys

src = open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin
d = json.load(src)["nftables"]


def clean(x):
    if isinstance(x, dict):
        return {k: clean(v) for k, v in x.items() if k not in ("handle", "expires")}
    if isinstance(x, list):
        return [clean(v) for v in x]
    return x


sets, chains, rules = [], [], {}
for o in d:
    o = clean(o)
    for k in ("set", "map"):
        if k in o:
            s = o[k]
            s["elem"] = sorted(json.dumps(e, sort_keys=True) for e in s.get("elem", []))
            sets.append((s["name"], json.dumps(o, sort_keys=True)))
    if "chain" in o:
        chains.append((o["chain"]["name"], json.dumps(o, sort_keys=True)))
    if "rule" in o:
        r = o["rule"]
        for e in r["expr"]:
            if "counter" in e:
                e["counter"] = {"packets": 0, "bytes": 0}
        rules.setdefault(r["chain"], []).append(json.dumps(o, sort_keys=True))
for _, s in sorted(sets):
    print(s)
for name, c in sorted(chains):
    print(c)
    for r in rules.get(name, []):
        print("  " + r)
