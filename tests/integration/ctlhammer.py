#!/usr/bin/env python3
"""sekishod's control socket under a hostile work partition (23-work-privilege).

  ctlhammer.py hammer ADDR PORT STOP OUT
      until the file STOP exists: 6 threads hold connections open without
      sending a byte (a new one as soon as the frontend lets one go), 2
      connect in a loop asking "status", 1 alternates "prefer up0" and
      "prefer auto"; then writes counts to OUT (JSON)
  ctlhammer.py hold ADDR PORT N OUT
      N times, one at a time: connect, send nothing, read until the
      frontend closes; a line "T0 T1" (CLOCK_MONOTONIC, s) per hold in OUT
  ctlhammer.py local SEKISHOCTL SOCKET STOP OUT
      until STOP exists: `sekishoctl -s SOCKET status`; a line "START END"
      per answered status (exit 0, a "mode:" line) in OUT, "fail ..." per
      other outcome
  ctlhammer.py inside HOLDS LOCAL
      0 if, within one hold, three local statuses or more were asked after
      it began and answered before the frontend let it go (one at most
      for a frontend that serves one client at a time)
  ctlhammer.py burst ADDR PORT N
      N clients at once (threads released together), each asking
      "status" once; "answered K of N" on stdout, 0 if every one read a
      status (a SYN the kernel dropped is retried by TCP, so the caller
      also counts the listener's overflows)
  ctlhammer.py raw ADDR|PATH [PORT]
      "status" asked over TCP (ADDR PORT) or the Unix socket PATH; the
      whole response on stdout, as bytes
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time


def connect(addr, port):
    s = socket.create_connection((addr, port), timeout=5)
    s.settimeout(5)
    return s


def read_all(s):
    d = b""
    while True:
        b = s.recv(65536)
        if not b:
            return d
        d += b


def hammer(addr, port, stop, out):
    counts = {"held": 0, "held_answered": 0, "status": 0, "prefer": {},
              "errors": 0}
    lock = threading.Lock()

    def bump(key, sub=None):
        with lock:
            if sub is None:
                counts[key] += 1
            else:
                counts[key][sub] = counts[key].get(sub, 0) + 1

    def holder():
        while not os.path.exists(stop):
            try:
                s = connect(addr, port)
                d = read_all(s)
                s.close()
                bump("held")
                if d[10:].startswith(b"error: unknown request"):
                    bump("held_answered")
            except OSError:
                bump("errors")

    def flooder():
        while not os.path.exists(stop):
            try:
                s = connect(addr, port)
                s.sendall(b"status\n")
                d = read_all(s)
                s.close()
                if len(d) > 10 and d[5] == 1:
                    bump("status")
            except OSError:
                bump("errors")

    def churner():
        i = 0
        while not os.path.exists(stop):
            req = b"prefer up0\n" if i % 2 == 0 else b"prefer auto\n"
            i += 1
            try:
                s = connect(addr, port)
                s.sendall(req)
                d = read_all(s)
                s.close()
                line = d[10:].decode(errors="replace").strip()
                key = line.split(";")[0] if line.startswith("refused: too many") else \
                    line.split(":")[0]
                bump("prefer", key)
            except OSError:
                bump("errors")

    ts = [threading.Thread(target=holder, daemon=True) for _ in range(6)]
    ts += [threading.Thread(target=flooder, daemon=True) for _ in range(2)]
    ts += [threading.Thread(target=churner, daemon=True)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    with open(out, "w") as f:
        json.dump(counts, f, sort_keys=True)
        f.write("\n")


def hold(addr, port, n, out):
    with open(out, "w") as f:
        for _ in range(n):
            s = connect(addr, port)
            t0 = time.monotonic()
            read_all(s)
            t1 = time.monotonic()
            s.close()
            f.write("%.6f %.6f\n" % (t0, t1))
            f.flush()


def local(ctl, sock, stop, out):
    with open(out, "w") as f:
        while not os.path.exists(stop):
            t0 = time.monotonic()
            p = subprocess.run([ctl, "-s", sock, "status"], capture_output=True)
            t1 = time.monotonic()
            if p.returncode == 0 and b"\nmode:" in b"\n" + p.stdout:
                f.write("%.6f %.6f\n" % (t0, t1))
            else:
                f.write("fail %d %r\n" % (p.returncode, p.stderr[:200]))
            f.flush()


def inside(holds, loc):
    hs = [tuple(map(float, l.split())) for l in open(holds) if l.strip()]
    ls = [tuple(map(float, l.split())) for l in open(loc)
          if l.strip() and not l.startswith("fail")]
    per = [sum(1 for a, b in ls if h0 < a and b < h1) for h0, h1 in hs]
    print("%d holds, %d local answers; asked and answered within each hold: %s"
          % (len(hs), len(ls), " ".join(map(str, per))))
    # A frontend serving one client at a time answers at most one local
    # client asked after a hold's connect before it lets that hold go.
    return 0 if per and max(per) >= 3 else 1


def burst(addr, port, n):
    go = threading.Barrier(n)
    answered = []

    def one():
        go.wait()
        try:
            s = socket.create_connection((addr, port), timeout=10)
            s.settimeout(10)
            s.sendall(b"status\n")
            d = read_all(s)
            s.close()
            if d[:4] == b"SKCR" and d[5] == 1:
                answered.append(1)
        except OSError:
            pass

    ts = [threading.Thread(target=one) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("answered %d of %d" % (len(answered), n))
    return 0 if len(answered) == n else 1


def raw(where, port=None):
    if port is None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(where)
    else:
        s = connect(where, int(port))
    s.sendall(b"status\n")
    sys.stdout.buffer.write(read_all(s))


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) == 5 and a[0] == "hammer":
        hammer(a[1], int(a[2]), a[3], a[4])
    elif len(a) == 5 and a[0] == "hold":
        hold(a[1], int(a[2]), int(a[3]), a[4])
    elif len(a) == 5 and a[0] == "local":
        local(a[1], a[2], a[3], a[4])
    elif len(a) == 3 and a[0] == "inside":
        sys.exit(inside(a[1], a[2]))
    elif len(a) == 4 and a[0] == "burst":
        sys.exit(burst(a[1], int(a[2]), int(a[3])))
    elif len(a) in (2, 3) and a[0] == "raw":
        raw(*a[1:])
    else:
        sys.exit(__doc__)
