"""Command line entry point: `imatch-socials` and its sub-commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NoReturn

from imatch.errors import IMatchError
from sandbox.command_line import account_conditions, add_account_conditions, add_sandbox_arguments
from sync.config import ConfigError, platform_names
from sync.headless import ONLY_CHOICES, HeadlessOptions
from sync.logs import setup_logging
from sync.setup_problems import problem_of

HEADLESS_ONLY = {
    "platform": "--platform",
    "dry_run": "--dry-run",
    "only": "--only",
    "json": "--json",
    "repost_changed_files": "--repost-changed-files",
}


class OneLineParser(argparse.ArgumentParser):
    """A mistake on the command line is one line naming it, and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (`imatch-socials --help` lists the options)\n")


def version() -> str:
    from importlib import metadata  # 0.05 s to import: only when the version is asked for

    try:
        return metadata.version("imatch-socials")
    except metadata.PackageNotFoundError:  # running from a source folder never installed
        return "unknown"


class VersionAction(argparse.Action):
    """`--version`, as argparse's own, with the version looked up only when asked."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(
            option_strings, argparse.SUPPRESS, nargs=0, help="show the version and exit"
        )

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        print(f"imatch-socials {version()}")
        parser.exit()


def _add_run_flags(parser: argparse.ArgumentParser, prefix: str = "") -> None:
    """The sync flags; `prefix` keeps the demo's copies apart so neither order overwrites."""
    parser.add_argument(
        "--headless",
        dest=f"{prefix}headless",
        action="store_true",
        help="run without the terminal UI",
    )
    parser.add_argument(
        "--platform",
        dest=f"{prefix}platform",
        action="append",
        choices=platform_names(),
        help="only this platform (repeatable; default: all enabled; with --headless)",
    )
    parser.add_argument(
        "--dry-run",
        dest=f"{prefix}dry_run",
        action="store_true",
        help="print the plan; change nothing anywhere (with --headless)",
    )
    parser.add_argument(
        "--only",
        dest=f"{prefix}only",
        metavar="ACTIONS",
        help=f"comma list of {', '.join(ONLY_CHOICES)} (with --headless)",
    )
    parser.add_argument(
        "--json",
        dest=f"{prefix}json",
        action="store_true",
        help="print one JSON report on standard output (with --headless)",
    )
    parser.add_argument(
        "--repost-changed-files",
        dest=f"{prefix}repost_changed_files",
        action="store_true",
        help="delete and add again changed photos whose image the platform cannot replace: "
        "their likes and comments go (with --headless)",
    )


def _listed() -> str:
    from sync.platforms.registry import listed

    return listed(platform_names())


def _login_help() -> str:
    from sync.platforms import registry

    return "; ".join(f"{spec.name}: {spec.login_help}" for spec in registry.specs())


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="imatch-socials",
        description=f"Publish photos from IMatch to {_listed()} and keep them in step.",
    )
    parser.add_argument("--version", action=VersionAction)
    _add_run_flags(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = commands.add_parser("demo", help="try the app against local simulators")
    _add_run_flags(demo, prefix="demo_")
    add_account_conditions(demo)
    platforms = commands.add_parser("platforms", help="list the platforms (--json for the app)")
    platforms.add_argument(
        "--json", dest="platforms_json", action="store_true", help="print them as JSON"
    )
    doctor = commands.add_parser("doctor", help="check the set-up and say what to fix")
    doctor.add_argument(
        "--platform",
        action="append",
        choices=platform_names(),
        dest="doctor_platforms",
        help="only this platform (repeatable; default: all enabled)",
    )

    baseline = commands.add_parser(
        "baseline",
        help="record what is published now as the starting point of change detection "
        "(no platform is called)",
    )
    baseline.add_argument(
        "--platform",
        action="append",
        choices=platform_names(),
        dest="baseline_platforms",
        help="only this platform (repeatable; default: all enabled)",
    )

    login = commands.add_parser("login", help=f"log in to a platform ({_login_help()})")
    login.add_argument("login_platform", metavar="platform", choices=platform_names())

    app = commands.add_parser(
        "imatch-app", help="show where the IMatch app is, or copy it into IMatch (--copy)"
    )
    app.add_argument(
        "--copy", action="store_true", help="copy it into IMatch's folder for user apps"
    )
    app.add_argument(
        "--to", type=Path, metavar="FOLDER", help="copy it here instead (e.g. another IMatch)"
    )

    sandbox = commands.add_parser("sandbox", help="serve the simulators until stopped")
    add_sandbox_arguments(sandbox)
    return parser


def parse_command_line(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line read and checked as `main` reads it: a mistake exits with one line
    and code 2 (SystemExit), so nothing is ever read as "everything"."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _merge_demo_flags(args, parser)
    _check_flags(args, parser)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_command_line(argv)
    _tolerate_console_encoding()
    if _wants_tui(args) and not _on_a_terminal():
        print(
            "imatch-socials: the terminal app needs a terminal, and its input or output goes "
            "to a file or a pipe: run it in a terminal window, or add --headless",
            file=sys.stderr,
        )
        return 2
    try:
        setup_logging()
    except OSError as error:
        print(f"imatch-socials: cannot write the log file: {error}", file=sys.stderr)
    try:
        return _dispatch(args)
    except (IMatchError, ConfigError) as error:
        print(f"imatch-socials: {problem_of(error).line()}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); nothing more to say.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("imatch-socials: interrupted", file=sys.stderr)
        return 130


def _merge_demo_flags(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """`--dry-run demo --headless` and `demo --headless --dry-run` mean the same."""
    if args.command != "demo":
        return
    args.headless = args.headless or args.demo_headless
    args.dry_run = args.dry_run or args.demo_dry_run
    args.json = args.json or args.demo_json
    args.repost_changed_files = args.repost_changed_files or args.demo_repost_changed_files
    args.platform = [*(args.platform or ()), *(args.demo_platform or ())] or None
    if args.only is not None and args.demo_only is not None:
        parser.error("--only given twice (before and after demo): give it once")
    if args.demo_only is not None:
        args.only = args.demo_only


def _check_flags(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Refuse an `--only` that names nothing valid, and a flag where it would be ignored."""
    if args.only is not None:
        args.only = _parsed_only(args.only, parser)
    given = [flag for name, flag in HEADLESS_ONLY.items() if getattr(args, name)]
    if args.only is not None and "--only" not in given:
        given.append("--only")  # `--only ''` is given, and empty
    if args.command in (None, "demo"):
        if given and not args.headless:
            example = (
                "imatch-socials demo --headless" if args.command else "imatch-socials --headless"
            )
            parser.error(
                f"{given[0]} works only with --headless (e.g. {example} {given[0]} …); "
                "the terminal app has keys for it instead"
            )
    else:
        allowed = {"--platform"} if args.command in ("doctor", "baseline") else set()
        wrong = [
            flag
            for flag in (["--headless"] if args.headless else []) + given
            if flag not in allowed
        ]
        if wrong:
            parser.error(
                f"{wrong[0]} does not apply to `{args.command}`: it belongs to a sync "
                "(imatch-socials --headless …)"
            )


def _parsed_only(value: str, parser: argparse.ArgumentParser) -> list[str]:
    choices = [c.strip() for c in value.split(",") if c.strip()]
    valid = ", ".join(ONLY_CHOICES)
    if not choices:
        parser.error(f"--only needs one or more of {valid} (comma-separated)")
    unknown = [c for c in choices if c not in ONLY_CHOICES]
    if unknown:
        parser.error(f"--only: unknown {unknown[0]!r}; use one or more of {valid}")
    return choices


def _wants_tui(args: argparse.Namespace) -> bool:
    return args.command in (None, "demo") and not args.headless


def _on_a_terminal() -> bool:
    """Keys come from stdin; the screen goes to stdout (Windows) or stderr (elsewhere)."""
    try:
        return sys.stdin.isatty() and sys.stdout.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):  # closed or replaced streams
        return False


def _tolerate_console_encoding() -> None:
    """A Windows console code page (cp1252, cp850) cannot show every title: an emoji or a
    Japanese title is printed as `?` instead of stopping the run."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and (stream.encoding or "").lower().replace("-", "") != "utf8":
            reconfigure(errors="replace")


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo":
        from sandbox.demo import run_demo

        return run_demo(
            headless=args.headless,
            options=_headless_options(args),
            **account_conditions(args),
        )
    if args.command == "sandbox":
        from sandbox.demo import run_sandbox

        return run_sandbox(args)
    if args.command == "doctor":
        from sync.doctor import run_doctor

        return run_doctor(args.doctor_platforms or args.platform or ())
    if args.command == "platforms":
        from sync.platform_list import run_platforms

        return run_platforms(args.platforms_json)
    if args.command == "imatch-app":
        from sync.imatch_app_files import run_imatch_app

        return run_imatch_app(args.copy or args.to is not None, args.to)
    if args.command == "baseline":
        from sync.baseline import run_baseline

        return run_baseline(args.baseline_platforms or args.platform or ())
    if args.command == "login":
        from sync.login import run_login

        return run_login(args.login_platform)
    if args.headless:
        from sync.headless import run_headless

        return run_headless(_headless_options(args))
    # The command line is where the front ends meet; the TUI is only loaded when wanted.
    from tui.app import run_tui

    return run_tui()


def _headless_options(args: argparse.Namespace) -> HeadlessOptions:
    return HeadlessOptions(
        platforms=args.platform or (),
        dry_run=args.dry_run,
        only=args.only or (),
        json=args.json,
        repost_changed_files=args.repost_changed_files,
    )


if __name__ == "__main__":
    sys.exit(main())
