#!/usr/bin/env python3
"""One client holding many connections to sekisho-bundle-server, a second
client asking meanwhile (tests/integration/71-dist-limits.sh).

    dist_flood.py PORT N

From 127.0.0.2: N connections opened, nothing sent; prints "held H closed C"
(C: the server closed them at once, without a byte). From 127.0.0.3, while
those are held: one request for an unknown device; prints "second: " and the
answer's bytes in hex. Then the N connections are closed, and 127.0.0.2 asks
once more: "again: HEX". Waits are events with a generous bound (the
server's deadline is longer), never measured."""
import select
import socket
import sys

port, n = int(sys.argv[1]), int(sys.argv[2])
REQ = b"SKBQ\x01" + bytes(range(1, 33)) + (0).to_bytes(8, "big")


def conn(src):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    return s


def ask(src):
    s = conn(src)
    s.settimeout(20)
    s.sendall(REQ)
    got = b""
    try:
        while True:
            b = s.recv(4096)
            if not b:
                break
            got += b
    except socket.timeout:
        got += b"<timeout>"
    s.close()
    return got.hex()


held = [conn("127.0.0.2") for _ in range(n)]
# A refused connection is closed by the server at once: EOF soon. The
# held ones stay silent (the server waits for their requests).
closed, waiting = 0, list(held)
while waiting:
    r, _, _ = select.select(waiting, [], [], 3)
    if not r:
        break
    for s in r:
        waiting.remove(s)
        if s.recv(1) == b"":
            closed += 1
print("held %d closed %d" % (n - closed, closed), flush=True)
print("second: " + ask("127.0.0.3"), flush=True)
for s in held:
    s.close()
print("again: " + ask("127.0.0.2"), flush=True)
