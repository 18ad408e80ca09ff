#!/usr/bin/env python3
"""A relay of beacon challenges (tests/integration/56-beacon-relay.sh).

Two halves, each in its own namespace, joined by a link of their own:

    relay.py hotel LISTEN-ADDR PORT ACCOMPLICE-ADDR ACCOMPLICE-PORT DELAY-US
        at the hotel, where the office beacon would be: every challenge
        from a laptop goes to the accomplice; every answer the accomplice
        sends back goes to the laptop that asked last, with TTL 255.
        Each datagram is held DELAY-US / 2 microseconds on its way, so a
        round trip costs DELAY-US more: the path between two sites over
        the internet (this kernel has no netem to put it on the link).

    relay.py accomplice LISTEN-ADDR PORT BEACON-ADDR BEACON-PORT
        on the office LAN: every challenge from the hotel half goes to the
        real beacon with TTL 255 (so it looks on-link); the beacon's
        answer goes back to the hotel half.

The answers are genuine: fresh, signed, for the laptop's own nonce. Only
their round trip gives the relay away.
"""
import select
import socket
import sys
import time

LEN = 144


def udp(addr, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    return s


def hotel(listen, port, far, far_port, delay_us):
    front = udp(listen, port)           # the laptops' side
    back = udp("0.0.0.0", 0)            # towards the accomplice
    laptop = None
    print("relay: hotel half on %s:%d -> %s:%d" % (listen, port, far, far_port), flush=True)
    while True:
        ready, _, _ = select.select([front, back], [], [])
        if front in ready:
            data, laptop = front.recvfrom(2048)
            if len(data) == LEN:
                time.sleep(delay_us / 2e6)
                back.sendto(data, (far, far_port))
        if back in ready:
            data, _ = back.recvfrom(2048)
            if len(data) == LEN and laptop is not None:
                time.sleep(delay_us / 2e6)
                front.sendto(data, laptop)
                print("relay: answer to %s:%d" % laptop, flush=True)


def accomplice(listen, port, beacon, beacon_port):
    front = udp(listen, port)           # the hotel half's side
    lan = udp("0.0.0.0", 0)             # on the office LAN
    lan.connect((beacon, beacon_port))
    hotel_half = None
    print("relay: accomplice on %s:%d -> beacon %s:%d" % (listen, port, beacon, beacon_port),
          flush=True)
    while True:
        ready, _, _ = select.select([front, lan], [], [])
        if front in ready:
            data, hotel_half = front.recvfrom(2048)
            if len(data) == LEN:
                lan.send(data)
        if lan in ready:
            try:
                data = lan.recv(2048)
            except ConnectionRefusedError:
                continue
            if len(data) == LEN and hotel_half is not None:
                front.sendto(data, hotel_half)


def main():
    role = sys.argv[1] if len(sys.argv) > 1 else ""
    if (role, len(sys.argv)) not in (("hotel", 7), ("accomplice", 6)):
        sys.exit(__doc__)
    a, p, b, q = sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
    if role == "hotel":
        hotel(a, p, b, q, int(sys.argv[6]))
    else:
        accomplice(a, p, b, q)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
