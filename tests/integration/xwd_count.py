#!/usr/bin/env python3
"""Counts the pixels of one exact colour in an xwd screenshot (ZPixmap,
24/32 bits per pixel, TrueColor), so a test checks a window by what it
must show without ImageMagick or a reference image.

    xwd_count.py FILE RRGGBB  ->  prints the count
"""
import struct
import sys


def main():
    data = open(sys.argv[1], "rb").read()
    want = int(sys.argv[2], 16)
    hdr = struct.unpack(">25I", data[:100])
    (hsize, version, fmt, _depth, width, height, _xoff, byte_order, _unit,
     _bit_order, _pad, bpp, bpl, _vclass, rmask, gmask, bmask, _bits,
     _cmap, ncolors) = hdr[:20]
    if version != 7 or fmt != 2 or bpp not in (24, 32):
        sys.exit("xwd_count.py: not a 24/32-bit ZPixmap xwd file")
    off = hsize + 12 * ncolors
    step = bpp // 8

    def shift(mask):
        return (mask & -mask).bit_length() - 1

    rs, gs, bs = shift(rmask), shift(gmask), shift(bmask)
    endian = "little" if byte_order == 0 else "big"
    n = 0
    for y in range(height):
        row = data[off + y * bpl: off + y * bpl + width * step]
        for x in range(0, len(row), step):
            p = int.from_bytes(row[x:x + step], endian)
            rgb = (((p & rmask) >> rs) << 16) | (((p & gmask) >> gs) << 8) | ((p & bmask) >> bs)
            if rgb == want:
                n += 1
    print(n)


if __name__ == "__main__":
    main()
