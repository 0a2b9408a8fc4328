#!/usr/bin/env python3
"""NIST NBIS WSQ reference codec for permitkit's interoperability tests and benchmarks.

Wraps the PyPI package `wsq` (NBIS 5.0 WSQ library as a Pillow plugin; its encoder bit rate is
fixed at 0.75). Raw images are 8-bit grey, row by row, without a header.

  nbis_wsq.py check                          exit 0 when the package imports
  nbis_wsq.py encode IN.raw WIDTH HEIGHT OUT.wsq
  nbis_wsq.py decode IN.wsq OUT.raw          prints "WIDTH HEIGHT PPI"
  nbis_wsq.py bench IN.raw WIDTH HEIGHT SECONDS
                                             prints "encode_ms=… decode_ms=… calls=…"
"""
import sys
import time

MISSING = 3


def codec():
    try:
        import wsq  # noqa: F401  (registers the Pillow plugin and loads _wsq)
        import _wsq
    except ImportError as e:
        print(f"NBIS WSQ not available ({e}): run .ci/install-deps (pip install wsq)",
              file=sys.stderr)
        sys.exit(MISSING)
    return _wsq


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[0], argv[1:]
    c = codec()
    if cmd == "check":
        return 0
    if cmd == "encode":
        raw, width, height, out = args[0], int(args[1]), int(args[2]), args[3]
        data = open(raw, "rb").read()
        if len(data) != width * height:
            print(f"{raw}: {len(data)} bytes, expected {width * height}", file=sys.stderr)
            return 2
        # _wsq.compress(pixels, rows, columns, ratio): NBIS encodes at r = 0.75 whatever the
        # last argument says.
        open(out, "wb").write(c.compress(data, height, width, 0.75))
        return 0
    if cmd == "decode":
        pixels, width, height, ppi = c.decompress(open(args[0], "rb").read())
        open(args[1], "wb").write(pixels)
        print(width, height, ppi)
        return 0
    if cmd == "bench":
        raw, width, height, seconds = args[0], int(args[1]), int(args[2]), float(args[3])
        data = open(raw, "rb").read()
        encoded = c.compress(data, height, width, 0.75)

        def per_call_ms(fn):
            fn()  # warm up
            calls, start = 0, time.perf_counter()
            while True:
                fn()
                calls += 1
                elapsed = time.perf_counter() - start
                if elapsed >= seconds and calls >= 3:
                    return 1000.0 * elapsed / calls, calls

        enc_ms, enc_calls = per_call_ms(lambda: c.compress(data, height, width, 0.75))
        dec_ms, dec_calls = per_call_ms(lambda: c.decompress(encoded))
        # Upper bound of the binding's own cost: one Python call that copies a pixel buffer.
        copy_ms, _ = per_call_ms(lambda: bytes(bytearray(data)))
        print(f"encode_ms={enc_ms:.3f} decode_ms={dec_ms:.3f} calls={enc_calls},{dec_calls} "
              f"copy_ms={copy_ms:.3f} bytes={len(encoded)}")
        return 0
    print(f"unknown command {cmd}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
