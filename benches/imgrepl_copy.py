"""Runs imgrepl's engine in its own process, so its time and peak RSS are
measured exactly like the peers'.

usage: python3 imgrepl_copy.py [--no-hash] [--chunk-size BYTES] SRC DST...
"""

from __future__ import annotations

import argparse

import imgrepl


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-hash", action="store_true")
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("src")
    parser.add_argument("dsts", nargs="+")
    args = parser.parse_args()
    kwargs: dict[str, object] = {"hash": not args.no_hash, "fsync": True}
    if args.chunk_size:
        kwargs["chunk_size"] = args.chunk_size
    imgrepl.copy(args.src, args.dsts, **kwargs)


if __name__ == "__main__":
    main()
