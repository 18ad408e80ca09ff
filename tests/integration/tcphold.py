#!/usr/bin/env python3
"""A TCP connection held open across a change, for the integration tests.

  tcphold.py serve ADDR PORT           echo every line back, on every
                                       connection, until killed
  tcphold.py hold ADDR PORT GO OUT     connect, send "1", read it back, then
                                       write "up" to OUT; once the file GO
                                       exists, send "2" and write to OUT what
                                       became of the connection:
                                         echoed   "2" came back: it survived
                                         reset    refused or reset (RST)
                                         closed   ended without a reset
                                         timeout  nothing in 10 s: a black
                                                  hole (neither kept nor cut)
"""
import os
import socket
import sys
import threading
import time


def serve(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(16)

    def echo(c):
        with c:
            while True:
                data = c.recv(256)
                if not data:
                    return
                c.sendall(data)

    while True:
        c, _ = s.accept()
        threading.Thread(target=echo, args=(c,), daemon=True).start()


def say(out, what):
    with open(out + ".tmp", "w") as f:
        f.write(what + "\n")
    os.rename(out + ".tmp", out)


def hold(addr, port, go, out):
    s = socket.create_connection((addr, port), timeout=5)
    s.sendall(b"1\n")
    if s.recv(16) != b"1\n":
        say(out, "bad-echo")
        return 1
    say(out, "up")
    for _ in range(1200):		# a minute at most
        if os.path.exists(go):
            break
        time.sleep(0.05)
    s.settimeout(10)
    try:
        s.sendall(b"2\n")
        data = s.recv(16)
        say(out, "echoed" if data == b"2\n" else "closed" if not data else "bad-echo")
    except (ConnectionResetError, ConnectionRefusedError, BrokenPipeError):
        say(out, "reset")
    except socket.timeout:
        say(out, "timeout")
    except OSError as e:
        say(out, "error " + e.__class__.__name__)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 6 and sys.argv[1] == "hold":
        sys.exit(hold(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]))
    else:
        sys.exit(__doc__)
