#!/usr/bin/env python3
"""Replays a sign-on REQUEST captured on the wire (docs/agent.md, "Tests").

    replay.py PCAP CARD_PREFIX RELAY_ADDR RELAY_PORT

Finds in PCAP (tcpdump on a loopback or Ethernet link) the last REQUEST
(SKS1, version 1, type 4, 416 bytes) whose card field starts with
CARD_PREFIX, sends those very bytes to the relay again, and prints the
verifier's answer as "result N" (the RESULT's byte 42), or "relay-error N"
(a RELAY_ERR's byte 40), or "no answer".
"""
import socket
import struct
import sys
import time


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if linktype == 1:          # Ethernet
            if len(frame) < 14 or frame[12:14] != b"\x08\x00":
                continue
            ip = frame[14:]
        elif linktype == 113:      # Linux cooked
            ip = frame[16:]
        else:
            continue
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 0x0F) * 4
        yield ip[ihl + 8:]


def main():
    pcap, prefix, addr, port = sys.argv[1], sys.argv[2].encode(), sys.argv[3], int(sys.argv[4])
    req = None
    # tcpdump may not have written the last packets yet: read again for a while.
    for _ in range(100):
        for p in packets(pcap):
            if len(p) == 416 and p[:4] == b"SKS1" and p[4] == 1 and p[5] == 4 \
                    and p[48:48 + len(prefix)] == prefix:
                req = p
        if req is not None:
            break
        time.sleep(0.1)
    if req is None:
        sys.exit("no such REQUEST in the capture")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(8)
    s.sendto(req, (addr, port))
    try:
        ans = s.recv(1024)
    except socket.timeout:
        print("no answer")
        return
    if len(ans) == 248 and ans[5] == 6:
        print("result %d" % ans[42])
    elif len(ans) == 48 and ans[5] == 7:
        print("relay-error %d" % ans[40])
    else:
        print("other %d bytes" % len(ans))


if __name__ == "__main__":
    main()
