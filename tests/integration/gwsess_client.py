#!/usr/bin/env python3
"""A client of sekisho-gw's session socket (lib/proto/gwsess_wire.h) for
99-gw-slowclient:
  open SOCK STAFF DEVICE...   a session per device (600 s, factor card);
                              exits 1 at the first refusal
  hold SOCK DIR               `session list`, then reads one reply every
                              0.2 s (a slow reader: the answer stays
                              pending) until DIR/go exists, then the rest
                              at once; writes DIR/done: "ROWS STATUS"
                              (STATUS "eof" when the gateway closed first)
  mute SOCK DIR               `session list`, then reads nothing until
                              DIR/go exists; then reads what is there and
                              writes DIR/done the same way
Writes DIR/sent once its request is out."""
import os, socket, struct, sys, time

REQ_LEN, REP_LEN = 192, 256
OPEN, LIST = 1, 3
R_DONE, R_SESSION = 0x81, 0x82


def req(t, device=b"", text=b"", factor=b"", lifetime=0):
    m = struct.pack(">BBHI", 1, t, 0, lifetime) + device.ljust(80, b"\0") + \
        text.ljust(80, b"\0") + factor.ljust(16, b"\0") + bytes(8)
    assert len(m) == REQ_LEN
    return m


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    return s


def read_all(s, rows, slow, go):
    """-> (rows, status): status the DONE's, or "eof"."""
    while True:
        if slow and not os.path.exists(go):
            time.sleep(0.2)
        m = s.recv(REP_LEN + 1)
        if len(m) == 0:
            return rows, "eof"
        if len(m) != REP_LEN:
            return rows, "bad-length"
        if m[1] == R_SESSION:
            rows += 1
        elif m[1] == R_DONE:
            return rows, str(struct.unpack(">I", m[4:8])[0])


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "open":
        staff = sys.argv[3].encode()
        for d in sys.argv[4:]:
            s = connect(path)
            s.send(req(OPEN, d.encode(), staff, b"card", 600))
            while True:
                m = s.recv(REP_LEN)
                if len(m) != REP_LEN:
                    sys.exit(f"{d}: no answer")
                if m[1] == R_DONE:
                    break
            st = struct.unpack(">I", m[4:8])[0]
            if st != 0:
                sys.exit(f"{d}: {m[8:168].rstrip(bytes(1)).decode()}")
            s.close()
        return
    d = sys.argv[3]
    go = os.path.join(d, "go")
    s = connect(path)
    s.send(req(LIST))
    open(os.path.join(d, "sent"), "w").close()
    if mode == "mute":
        while not os.path.exists(go):
            time.sleep(0.05)
        rows, st = read_all(s, 0, False, go)
    else:
        rows, st = read_all(s, 0, True, go)
    with open(os.path.join(d, "done.tmp"), "w") as f:
        f.write(f"{rows} {st}\n")
    os.rename(os.path.join(d, "done.tmp"), os.path.join(d, "done"))


if __name__ == "__main__":
    try:
        main()
    except (ConnectionResetError, BrokenPipeError) as e:
        sys.exit(str(e))
