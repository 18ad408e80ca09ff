#!/usr/bin/env python3
"""A lying sekisho-dnscheck (tests/integration/29-lying-dnscheck.sh).

sekishod starts it in place of the real checker (-C), with the mode's
resolvers as arguments. It never sends a query: every half second it
writes the line the file named by SEKISHO_LYING_DNS holds (read again each
time; escapes such as \\x00 decoded), as sekisho-dnscheck writes its
rounds. It ends when sekishod stops reading or ends it.
"""
import os
import sys
import time


def main():
    path = os.environ["SEKISHO_LYING_DNS"]
    out = sys.stdout.buffer
    while True:
        with open(path, "rb") as f:
            line = f.read().rstrip(b"\n").decode("unicode_escape").encode("latin-1")
        try:
            out.write(line + b"\n")
            out.flush()
        except BrokenPipeError:
            return
        time.sleep(0.5)


if __name__ == "__main__":
    main()
