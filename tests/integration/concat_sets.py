#!/usr/bin/env python3
"""The concatenated interval sets of the netvm's table, as the renderer
wrote them against what the kernel holds (issue 11: nftables 1.0.6
byte-swaps the mark of some elements of a `mark . inet_proto .
inet_service` interval set when one command carries a long list).

usage: concat_sets.py RULESET.nft TABLE.json
RULESET.nft: `sekisho-policy compile --for netvm` (the model's text: a
set's `elements =` lines, one a block, the set declared again for each
further block; `add element inet sekisho NAME { ... }` lines are read too); TABLE.json: `nft -j list table inet
sekisho` or `nft -j list set ...`. Every set whose type is a
concatenation and that has flags interval is compared element by element,
exactly (as a multiset of canonical tuples). Prints one line per set,
"same NAME N" or "differ NAME ..."; exits 1 when any differs or when the
ruleset names none."""
import json
import re
import sys

PROTO = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}


def part(field, typ):
    """One field of an element as text, canonical for its type."""
    lo, _, hi = field.partition("-")
    if typ in ("mark", "inet_service", "integer"):
        a = int(lo, 0)
        b = int(hi, 0) if hi else a
    elif typ == "inet_proto":
        a = PROTO.get(lo, None) if not lo.isdigit() else int(lo)
        b = a
    else:
        a, b = lo, hi or lo
    return "%s-%s" % (a, b)


def from_text(path):
    """{set name: (types, [canonical element])} for the concatenated
    interval sets of the rendered ruleset. A set declared again adds its
    elements (nft does); two "elements =" lines in one block are an
    error (nft would keep only the last)."""
    sets, lists = {}, {}
    cur = None
    for line in open(path):
        line = line.rstrip("\n")
        m = re.match(r"^\t(set|map) (\S+) \{$", line)
        if m:
            cur, types, flags, had = m.group(2), None, False, False
            continue
        if cur is not None and line == "\t}":
            if types and len(types) > 1 and flags:
                sets.setdefault(cur, types)
            cur = None
            continue
        if cur is not None:
            s = line.strip()
            if s.startswith("type "):
                types = [t.strip() for t in s[5:].split(" . ")]
            elif s.startswith("flags ") and "interval" in s:
                flags = True
            elif s.startswith("elements = {"):
                if had:
                    sys.exit("%s: a block of set %s has two elements lines (nft keeps the last)" % (path, cur))
                had = True
                lists.setdefault(cur, []).append(s[len("elements = {"):].rstrip("}").strip())
            continue
        m = re.match(r"^add element inet sekisho (\S+) \{(.*)\}$", line)
        if m:
            lists.setdefault(m.group(1), []).append(m.group(2).strip())
    out = {}
    for name, types in sets.items():
        elems = []
        for lst in lists.get(name, []):
            for e in lst.split(","):
                e = e.strip()
                if e:
                    f = [x.strip() for x in e.split(" . ")]
                    elems.append(" . ".join(part(x, t) for x, t in zip(f, types)))
        out[name] = (types, sorted(elems))
    return out


def from_json(path):
    out = {}
    for o in json.load(open(path))["nftables"]:
        s = o.get("set")
        if s is None or not isinstance(s.get("type"), list) or "interval" not in s.get("flags", []):
            continue
        elems = []
        for e in s.get("elem", []):
            if isinstance(e, dict) and "elem" in e:
                e = e["elem"]["val"]
            f = []
            for x, t in zip(e["concat"], s["type"]):
                if isinstance(x, dict) and "range" in x:
                    a, b = x["range"]
                else:
                    a = b = x
                if t == "inet_proto":
                    a, b = (PROTO.get(a, a) if isinstance(a, str) else a), (PROTO.get(b, b) if isinstance(b, str) else b)
                f.append("%s-%s" % (a, b))
            elems.append(" . ".join(f))
        out[s["name"]] = (s["type"], sorted(elems))
    return out


want, got = from_text(sys.argv[1]), from_json(sys.argv[2])
bad = 0
if not want:
    print("differ - the ruleset has no concatenated interval set")
    bad = 1
for name in sorted(want):
    w = want[name][1]
    g = got.get(name, (None, None))[1]
    if g is None:
        print("differ %s: not in the kernel" % name)
        bad = 1
    elif w == g:
        print("same %s %d" % (name, len(w)))
    else:
        from collections import Counter
        cw, cg = Counter(w), Counter(g)
        print("differ %s: %d rendered, %d in the kernel; rendered only: %s; kernel only: %s" % (
            name, len(w), len(g), sorted((cw - cg).elements())[:4], sorted((cg - cw).elements())[:4]))
        bad = 1
sys.exit(bad)
