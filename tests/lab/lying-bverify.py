#!/usr/bin/env python3
"""A lying sekisho-beacon-verify (tests/integration/57-lying-probe.sh).

sekishod starts it in place of the real signature checker (-V). It reads
sekishod's fixed-size requests (lib/proto/bverify_wire.h) and answers
"verified under key 0" to every one without looking at it. With it, and
only with it, a probe's forged answer gets office mode: the checker is
trusted like `sekisho-policy verify` (docs/beacon.md).
"""
import socket

OK_KEY0 = b"SKV1\x00\x00\x00\x00"
READY = b"SKVR\x00\x00\x00\x00"


def main():
    s = socket.socket(fileno=0)
    s.send(READY)	# as the real one does, once it is set up
    while True:
        if not s.recv(4096):
            return
        s.send(OK_KEY0)


if __name__ == "__main__":
    main()
