"""Command line entry point: `imatch-socials` and its sub-commands."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    print("imatch-socials: not built yet", args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
