#!/usr/bin/env python3
"""One line over TCP, IPv4 or IPv6, for the integration tests.

  tcpline.py serve ADDR PORT TEXT      answer every connection with TEXT
  tcpline.py get ADDR PORT [SOURCE]    print what the server sent; exit 1
                                       if the connection failed (3 s)
"""
import socket
import sys


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def serve(addr, port, text):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)
    while True:
        c, _ = s.accept()
        try:
            c.sendall(text.encode() + b"\n")
        finally:
            c.close()


def get(addr, port, source=None):
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.settimeout(3)
    if source:
        s.bind((source, 0))
    try:
        s.connect((addr, port))
        data = s.recv(256)
    except OSError as e:
        print(e, file=sys.stderr)
        return 1
    sys.stdout.write(data.decode(errors="replace"))
    return 0


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "serve":
        serve(a[1], int(a[2]), a[3])
    elif len(a) in (3, 4) and a[0] == "get":
        sys.exit(get(a[1], int(a[2]), a[3] if len(a) == 4 else None))
    else:
        sys.exit(__doc__)
