"""Command line entry point: `imatch-socials` and its sub-commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from imatch.errors import IMatchError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imatch-socials",
        description="Publish photos from IMatch to flickr and pixelfed and keep them in step.",
    )
    parser.add_argument("--headless", action="store_true", help="run without the terminal UI")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser("demo", help="try the app against local simulators")
    demo.add_argument("--headless", action="store_true", help="no terminal UI; print results")

    sandbox = commands.add_parser("sandbox", help="serve the simulators until stopped")
    sandbox.add_argument("--imatch-port", type=int, default=50519, help="0 picks a free port")
    sandbox.add_argument("--library", type=Path, help="library folder (default: demo library)")
    sandbox.add_argument("--photos", type=int, default=0, help="extra photos for a new library")
    sandbox.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _dispatch(args)
    except IMatchError as error:
        print(f"imatch-socials: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); nothing more to say.
        sys.stderr.close()
        return 0


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo":
        from sandbox.demo import run_demo

        return run_demo(headless=args.headless)
    if args.command == "sandbox":
        from sandbox.demo import run_sandbox

        return run_sandbox(args.library, args.imatch_port, args.latency, args.photos)
    print(
        "imatch-socials: syncing is not built yet; try `imatch-socials demo --headless`.",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
