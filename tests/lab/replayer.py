#!/usr/bin/env python3
"""The hotel's replayer (tests/lab/lab.sh, lab_hotel_beacon replayer).

Listens where the office beacon would (ADDR PORT, UDP) and answers every
challenge with a genuine signed answer of the office beacon, captured at
lab_up (ANSWER-FILE...), in turn, sent with TTL 255 like a real beacon's.
What it cannot do is sign the laptop's fresh nonce: the probe must refuse
with "nonce does not match the challenge sent".

    replayer.py ADDR PORT ANSWER-FILE...
"""
import socket
import sys

CHALLENGE_LEN = 144
CHALLENGE_HDR = b"SKB1\x01\x01"     # magic, version 1, type 1 (challenge)


def main():
    if len(sys.argv) < 4:
        sys.exit("usage: replayer.py ADDR PORT ANSWER-FILE...")
    addr, port = sys.argv[1], int(sys.argv[2])
    answers = []
    for path in sys.argv[3:]:
        with open(path, "rb") as f:
            answers.append(f.read())
    answers = [a for a in answers if len(a) == CHALLENGE_LEN]
    if not answers:
        sys.exit("replayer: no 144-byte answer in %s" % " ".join(sys.argv[3:]))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 255)
    s.bind((addr, port))
    print("replayer: %d captured answers, listening on %s:%d" % (len(answers), addr, port),
          flush=True)
    n = 0
    while True:
        data, peer = s.recvfrom(2048)
        if len(data) != CHALLENGE_LEN or not data.startswith(CHALLENGE_HDR):
            continue
        s.sendto(answers[n % len(answers)], peer)
        print("replayer: answer %d to %s:%d" % (n % len(answers) + 1, peer[0], peer[1]),
              flush=True)
        n += 1


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
