"""Command line: ``focalboost bench ...`` (also ``python -m focalboost bench``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(prog="focalboost", description="focalboost command line")
    parser.add_argument("command", choices=["bench"], help="bench: run the benchmark")
    if not argv or argv[0] in ("-h", "--help"):
        parser.print_help()
        return 0 if argv else 2
    ns = parser.parse_args(argv[:1])
    if ns.command == "bench":
        from focalboost.bench import main as bench_main

        return bench_main(argv[1:])
    return 2  # pragma: no cover


if __name__ == "__main__":
    sys.exit(main())
