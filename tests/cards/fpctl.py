#!/usr/bin/env python3
"""Drives libfprint's virtual_device driver (FP_VIRTUAL_DEVICE=SOCKET): each
command goes in a connection of its own, as the driver reads one command
per connection ("SCAN finger-1", "SET_ENROLL_STAGES 5", ...) and drops a
connection still open when the next one comes: each command waits for the
driver to close its connection (it has read the command) before the next.

    fpctl.py SOCKET CMD [CMD...]
"""
import socket
import sys


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: fpctl.py SOCKET CMD...")
    for cmd in sys.argv[2:]:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sys.argv[1])
        s.sendall(cmd.encode())
        while s.recv(256):
            pass
        s.close()


if __name__ == "__main__":
    main()
