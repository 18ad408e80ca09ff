#!/usr/bin/env python3
"""A lying sekisho-fetch (tests/integration/31-lying-fetch.sh).

sekishod starts it in place of the real helper (-G), with the real one's
arguments, its standard output the temporary file and its standard error
a pipe. It never connects: it does what the file named by
SEKISHO_LYING_FETCH says, read at each start, one directive a line:
  out PATH    copy PATH's bytes to standard output (a bundle, a statement)
  err TEXT    write TEXT to standard error (escapes such as \\x00 decoded)
  exit N      exit with status N (lib/proto/fetch_helper.h), at the end
"""
import os
import sys


def main():
    status = 1
    with open(os.environ["SEKISHO_LYING_FETCH"], "rb") as f:
        for raw in f.read().splitlines():
            word, _, arg = raw.partition(b" ")
            if word == b"out":
                with open(arg, "rb") as src:
                    sys.stdout.buffer.write(src.read())
                sys.stdout.buffer.flush()
            elif word == b"err":
                sys.stderr.buffer.write(arg.decode("unicode_escape").encode("latin-1"))
                sys.stderr.buffer.flush()
            elif word == b"exit":
                status = int(arg)
    sys.exit(status)


if __name__ == "__main__":
    main()
