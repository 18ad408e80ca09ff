#!/usr/bin/env python3
"""hammer.py VERIFIER PORT SOURCE DEVICE N: N NONCE_REQs for DEVICE to the
verifier from address SOURCE (on loopback), as fast as they go; then every
CHALLENGE that comes back is counted until none has come for 2 s. Prints
the count. (tests/integration/88-signon.sh: the per-source rate limit.)"""
import socket
import sys

ver, port, src, dev, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5])
msg = b"SKS1" + bytes([1, 2, 0, 0]) + dev.encode().ljust(64, b"\0") + bytes(16)
assert len(msg) == 88
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
for _ in range(n):
    s.sendto(msg, (ver, port))
s.settimeout(2.0)
got = 0
try:
    while True:
        d = s.recv(2048)
        if len(d) == 88 and d[:4] == b"SKS1" and d[5] == 3:
            got += 1
except socket.timeout:
    pass
print(got)
