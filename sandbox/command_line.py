"""The sandbox's own command-line options, for `imatch-socials sandbox` and `demo`.

The CLI adds these without knowing what they mean: the simulators' ports and the account
conditions (DESIGN section 8) are the sandbox's business. Only argparse is imported here,
so building the command line stays quick.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

ACCOUNT_CONDITIONS = ("flickr_account", "flickr_groups", "flickr_transient")


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


def add_sandbox_arguments(sandbox: argparse.ArgumentParser) -> None:
    """`imatch-socials sandbox`: ports, library, latency, home and account conditions."""
    sandbox.add_argument("--imatch-port", type=int, default=50519, help="0 picks a free port")
    sandbox.add_argument("--flickr-port", type=int, default=0)
    sandbox.add_argument("--pixelfed-port", type=int, default=0)
    sandbox.add_argument("--mastodon-port", type=int, default=0)
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


def account_conditions(args: argparse.Namespace) -> dict[str, Any]:
    """The account conditions given on the command line, as `run_demo` takes them."""
    return {name: getattr(args, name) for name in ACCOUNT_CONDITIONS}
