"""Command line entry point: `imatch-socials` and its sub-commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from imatch.errors import IMatchError
from sync.config import PLATFORMS, ConfigError
from sync.logs import setup_logging


def share(value: str) -> float:
    """A rate between 0 and 1 (`--flickr-transient 0.05`)."""
    try:
        rate = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {value!r}") from None
    if not 0.0 <= rate <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {value!r}")
    return rate


def add_account_conditions(parser: argparse.ArgumentParser) -> None:
    """The sandbox's account conditions (DESIGN section 8), for `sandbox` and `demo`."""
    parser.add_argument(
        "--flickr-account",
        choices=("pro", "free"),
        default="pro",
        help="free: 1,000 photos, 50 non-public, no replace (the account holds 48 private)",
    )
    parser.add_argument(
        "--flickr-groups",
        choices=("normal", "throttled"),
        default="normal",
        help="throttled: one group takes 2 photos a day, another is moderated",
    )
    parser.add_argument(
        "--flickr-transient",
        type=share,
        default=0.0,
        metavar="RATE",
        help="share of flickr calls answered with a transient failure (e.g. 0.05)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imatch-socials",
        description="Publish photos from IMatch to flickr and pixelfed and keep them in step.",
    )
    parser.add_argument("--headless", action="store_true", help="run without the terminal UI")
    parser.add_argument(
        "--platform",
        action="append",
        choices=PLATFORMS,
        help="only this platform (repeatable; default: all enabled)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the plan; change nothing anywhere"
    )
    parser.add_argument(
        "--only", metavar="ACTIONS", help="comma list of add,update,metadata,delete,errors"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON summary")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser("demo", help="try the app against local simulators")
    demo.add_argument("--headless", action="store_true", help="no terminal UI; print results")
    add_account_conditions(demo)

    doctor = commands.add_parser("doctor", help="check the set-up and say what to fix")
    doctor.add_argument(
        "--platform",
        action="append",
        choices=PLATFORMS,
        dest="doctor_platforms",
        help="only this platform (repeatable; default: all enabled)",
    )

    login = commands.add_parser("login", help="log in to flickr or check the pixelfed token")
    login.add_argument("platform", choices=PLATFORMS)

    sandbox = commands.add_parser("sandbox", help="serve the simulators until stopped")
    sandbox.add_argument("--imatch-port", type=int, default=50519, help="0 picks a free port")
    sandbox.add_argument("--flickr-port", type=int, default=0)
    sandbox.add_argument("--pixelfed-port", type=int, default=0)
    sandbox.add_argument("--library", type=Path, help="library folder (default: demo library)")
    sandbox.add_argument("--photos", type=int, default=0, help="extra photos for a new library")
    sandbox.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    sandbox.add_argument(
        "--home", type=Path, help="write a config and flickr login for the sandbox here"
    )
    sandbox.add_argument(
        "--imatch-only", action="store_true", help="serve only IMatch (e.g. for benchmarks)"
    )
    add_account_conditions(sandbox)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        setup_logging()
    except OSError as error:
        print(f"imatch-socials: cannot write the log file: {error}", file=sys.stderr)
    try:
        return _dispatch(args, parser)
    except (IMatchError, ConfigError) as error:
        print(f"imatch-socials: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); nothing more to say.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("imatch-socials: interrupted", file=sys.stderr)
        return 130


def _dispatch(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.command == "demo":
        from sandbox.demo import run_demo

        return run_demo(
            headless=args.headless,
            flickr_account=args.flickr_account,
            flickr_groups=args.flickr_groups,
            flickr_transient=args.flickr_transient,
        )
    if args.command == "sandbox":
        from sandbox.demo import run_sandbox

        return run_sandbox(args)
    if args.command == "doctor":
        from sync.doctor import run_doctor

        return run_doctor(args.doctor_platforms or args.platform or ())
    if args.command == "login":
        from sync.login import run_login

        return run_login(args.platform)
    if args.headless or args.dry_run or args.json or args.only:
        from sync.headless import HeadlessOptions, parse_only, run_headless

        try:
            only = parse_only(args.only or "")
        except ValueError as error:
            parser.error(str(error))
        options = HeadlessOptions(
            platforms=args.platform or (), dry_run=args.dry_run, only=only, json=args.json
        )
        return run_headless(options)
    # The command line is where the front ends meet; the TUI is only loaded when wanted.
    from tui.app import run_tui

    return run_tui()


if __name__ == "__main__":
    sys.exit(main())
