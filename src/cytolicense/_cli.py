"""The ``cytolicense`` command line (shell: reads the clock and the environment)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._plugins import load_catalog

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = argparse.ArgumentParser(prog="cytolicense")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("catalog", help="print the installed catalog")
    args = parser.parse_args(argv)
    if args.command in (None, "catalog"):
        print(load_catalog())
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
