#!/usr/bin/env python3
"""A second, independent encoder of docs/bundle.md (format version 2, and
1 with --format 1): the layout written out again in Python, the Ed25519
signature made by the openssl command line tool. The tests check that it
produces, byte for byte, what `sekisho-policy sign` produces (Ed25519 is
deterministic), and use it to make bundles the real tool refuses to make
(a serial that differs from the policy's, a format 1 bundle).

  mkbundle.py --key KEYFILE --device B64 --serial N --issued T
              [--max-age S] [--format 1|2] POLICY OUT
"""
import argparse
import base64
import os
import struct
import subprocess
import sys
import tempfile

CONTEXTS = {1: b"sekisho-bundle-v1", 2: b"sekisho-bundle-v2"}
PKCS8_ED25519 = bytes.fromhex("302e020100300506032b657004220420")


def openssl(*args):
    return subprocess.run(("openssl",) + args, check=True,
                          capture_output=True).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True)
    ap.add_argument("--device", required=True)
    ap.add_argument("--serial", type=int, required=True)
    ap.add_argument("--issued", type=int, required=True)
    ap.add_argument("--max-age", type=int, default=604800)
    ap.add_argument("--format", type=int, choices=(1, 2), default=2)
    ap.add_argument("policy")
    ap.add_argument("out")
    a = ap.parse_args()
    seed = base64.b64decode(open(a.key).read().strip(), validate=True)
    device = base64.b64decode(a.device, validate=True)
    policy = open(a.policy, "rb").read()
    assert len(seed) == 32 and len(device) == 32
    with tempfile.TemporaryDirectory() as d:
        der, msg, sig = (os.path.join(d, n) for n in ("k.der", "m", "s"))
        fd = os.open(der, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, PKCS8_ED25519 + seed)
        os.close(fd)
        signer = openssl("pkey", "-inform", "DER", "-in", der, "-pubout",
                         "-outform", "DER")[-32:]
        if a.format == 1:
            head = struct.pack(">HQQ", 1, a.serial, a.issued)
        else:
            head = struct.pack(">HQQI", 2, a.serial, a.issued, a.max_age)
        body = (b"SKPB" + head + device + signer +
                struct.pack(">I", len(policy)) + policy)
        with open(msg, "wb") as f:
            f.write(CONTEXTS[a.format] + body)
        openssl("pkeyutl", "-sign", "-inkey", der, "-keyform", "DER",
                "-rawin", "-in", msg, "-out", sig)
        signature = open(sig, "rb").read()
    assert len(signature) == 64
    with open(a.out, "wb") as f:
        f.write(body + signature)


if __name__ == "__main__":
    sys.exit(main())
