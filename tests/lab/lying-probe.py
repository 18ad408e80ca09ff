#!/usr/bin/env python3
"""A compromised sekisho-probe (tests/integration/57-lying-probe.sh, 56).

sekishod starts it in place of the real probe (-P). What it does is chosen
by SEKISHO_LYING_PROBE in its environment (sekishod passes its own on):

  ok        the first protocol's verdict, made up: "ok tokyo-3f 0 1"
  replay    a genuine answer of the office beacon captured earlier
            (the file in SEKISHO_LYING_ANSWER), passed off as this round's
  own-nonce a fresh, genuine answer of the office beacon, on the office
            LAN, to a nonce of its own choosing instead of sekishod's
  forge     an answer made up for each of sekishod's nonces: the right
            nonce, id tokyo-3f, the time now, and a signature of zeros
            (only a lying signature checker, -V, takes its signature:
            tests/lab/lying-bverify.py; and even then it is no datagram
            the uplink brought)
  fast      every datagram sekishod hands it passed back at once as
            verified, unchecked: as fast and as credulous as a probe can be

Whatever it says, sekishod must stay out of office mode (but for fast
with an impostor's answers and a lying checker: the checker is trusted).
"""
import os
import socket
import struct
import sys
import time

CHALLENGE = b"SKB1\x01\x01\x00\x00"
ANSWER = b"SKB1\x01\x02\x00\x00"


def forged_answer(nonce):
    """An answer in the beacon's format whose signature is zeros."""
    return (ANSWER + nonce + b"tokyo-3f".ljust(32, b"\0") +
            struct.pack(">Q", int(time.time())) + bytes(64))


def lines():
    """sekishod's lines: one SOCK_SEQPACKET message each."""
    while True:
        msg = os.read(0, 4096)
        if not msg:
            return
        for line in msg.decode().splitlines():
            yield line


def say(text):
    os.write(1, (text + "\n").encode())


def fresh_answer(ifname, target, nonce=None):
    """A genuine answer of the beacon in target ("ID ADDR:PORT KEY"), to
    nonce (default: one of our own), over ifname with TTL 255."""
    addr, port = target.split()[1].split(":")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, ifname.encode())
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)
    s.settimeout(1)
    s.connect((addr, int(port)))
    s.send(CHALLENGE + (nonce or os.urandom(32)) + bytes(104))
    return s.recv(2048)


def main():
    mode = os.environ.get("SEKISHO_LYING_PROBE", "ok")
    ifname = sys.argv[sys.argv.index("-i") + 1]
    it = lines()
    if mode == "ok":
        # where a helper's first line is due (after "go"), and then every
        # line of sekishod's read until it closes: a helper that exits
        # with lines unread resets the socket, and sekishod's recv fails
        # before the lie is read (a race: "cannot read it")
        for line in it:
            if line == "go":
                break
        say("ok tokyo-3f 0 1")
        for _ in it:
            pass
        return
    targets = []
    for line in it:
        if line == "go":
            break
        targets.append(line)
    if mode == "replay":
        with open(os.environ["SEKISHO_LYING_ANSWER"], "rb") as f:
            answer = f.read()
    elif mode == "own-nonce":
        answer = fresh_answer(ifname, targets[0])
    say("ready")
    for line in it:
        if line.startswith("nonce ") and mode != "fast":
            if mode == "forge":
                answer = forged_answer(bytes.fromhex(line[6:]))
            say("answer 0 " + answer.hex())
        elif line.startswith("dgram ") and mode == "fast":
            say("answer " + line[6:])
        elif line.startswith("dgram "):
            say("none tokyo-3f: not looked at")


if __name__ == "__main__":
    main()
