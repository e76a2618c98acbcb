"""`imatch-socials demo` and `imatch-socials sandbox`: the app against local simulators."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from sandbox.imatch_db import LIBRARY_FILE, IMatchDatabase
from sandbox.imatch_server import IMatchSimulator
from sandbox.library import generate_library
from sandbox.serving import serve_in_thread, stopped_by_sigterm
from sandbox.world import SandboxWorld, sandbox_world
from sync.config import ENV_PREFIX
from sync.headless import HeadlessOptions
from sync.logs import setup_logging
from sync.paths import HOME_VARIABLE

DEMO_PACE = {"flickr": {"rate_per_hour": 360_000}}
"""The demo's flickr is a simulator on this machine with a throw-away account: the real
pace (3,600 calls an hour, 60 at once) made the demo wait about 20 s for nothing. The run
panel shows the pace in use, as it does in real use."""


@contextmanager
def demo_home(world: SandboxWorld) -> Iterator[Path]:
    """Throw-away config, journal and logs pointing at the simulators, for this process.
    The user's own settings in the environment (their IMatch, config.toml, tokens) are
    set aside meanwhile: the demo never reaches their IMatch or their accounts."""
    own = {name: value for name, value in os.environ.items() if name.startswith(ENV_PREFIX)}
    with tempfile.TemporaryDirectory(prefix="imatch-socials-home-") as folder:
        home = Path(folder)
        world.configure_home(home, DEMO_PACE)
        for name in own:
            del os.environ[name]
        os.environ[HOME_VARIABLE] = str(home)
        setup_logging()  # the demo's log is thrown away with the rest
        try:
            yield home
        finally:
            os.environ.pop(HOME_VARIABLE, None)
            os.environ.update(own)


def run_demo(
    headless: bool,
    options: HeadlessOptions | None = None,
    flickr_account: str = "pro",
    flickr_groups: str = "normal",
    flickr_transient: float = 0.0,
) -> int:
    """The app against the simulators: the terminal app, or two headless runs (the second
    has nothing left to do, unless the account conditions leave something for a later
    run). The exit code follows a real run's rules: 1 when a photo failed in either run
    (the sample library holds a file the platforms refuse)."""
    options = options or HeadlessOptions()
    conditions = sandbox_world(
        flickr_account=flickr_account,
        flickr_groups=flickr_groups,
        flickr_transient=flickr_transient,
    )
    with stopped_by_sigterm(), conditions as world, demo_home(world):
        if not headless and _tui_available():
            from tui.app import run_tui

            return run_tui()
        return _headless_demo(world, options)


def _headless_demo(world: SandboxWorld, options: HeadlessOptions) -> int:
    from sync.headless import run_headless

    # With --json the only thing on standard output is the run's JSON document.
    out = sys.stderr if options.json else sys.stdout

    def say(text: str = "") -> None:
        print(text, file=out, flush=True)

    say("Demo: IMatch, flickr, pixelfed and Mastodon simulators on 127.0.0.1 with a sample")
    say(f"library of {len(world.imatch.db.files)} files; state is thrown away at the end.")
    if options.dry_run or options.json:
        codes = [run_headless(options)]
    else:
        say("\n== First run ==")
        codes = [run_headless(options)]
        say("\n== Second run ==")
        codes.append(run_headless(options))
    posts = (
        len(world.flickr.state.photos),
        len(world.pixelfed.statuses_of(_account(world))),
        len(world.mastodon.statuses_of(next(iter(world.mastodon.state.accounts)))),
    )
    say(
        f"\nflickr now holds {posts[0]} photos, pixelfed {posts[1]} posts, "
        f"Mastodon {posts[2]} posts."
    )
    code = 2 if 2 in codes else 1 if 1 in codes else 0
    if code == 1:
        say(
            "Exit code 1, as a real run gives when photos fail: the sample library holds a "
            "damaged file that the platforms refuse on purpose (see FAILED above)."
        )
    return code


def _tui_available() -> bool:
    try:
        import tui.app  # noqa: F401
    except ImportError:
        return False
    return True


def _account(world: SandboxWorld) -> str:
    return next(iter(world.pixelfed.state.accounts))


def run_sandbox(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    """Serve the simulators until interrupted (Ctrl+C, SIGTERM) or until `stop` is set;
    either way the generated library is removed."""
    library = args.library
    if library is not None and not (library / LIBRARY_FILE).is_file():
        print(
            f"imatch-socials: sandbox --library {library} holds no {LIBRARY_FILE}: name a "
            "folder made by `python -m sandbox.library`, or leave --library out to "
            "generate one",
            file=sys.stderr,
        )
        return 2
    with suppress(KeyboardInterrupt), stopped_by_sigterm():
        if args.imatch_only:
            _serve_imatch_only(args, stop)
        else:
            _serve_world(args, stop)
    return 0


def _serve_world(args: argparse.Namespace, stop: threading.Event | None) -> None:
    with sandbox_world(
        args.library,
        imatch_port=args.imatch_port,
        flickr_port=args.flickr_port,
        pixelfed_port=args.pixelfed_port,
        mastodon_port=args.mastodon_port,
        latency=args.latency,
        photos=args.photos,
        flickr_account=args.flickr_account,
        flickr_groups=args.flickr_groups,
        flickr_transient=args.flickr_transient,
    ) as world:
        print(f"imatch {world.imatch_url}", flush=True)
        print(f"flickr {world.flickr_url}", flush=True)
        print(f"pixelfed {world.pixelfed_url}", flush=True)
        print(f"mastodon {world.mastodon_url}", flush=True)
        print(f"library {world.library}", flush=True)
        if args.home is not None:
            world.configure_home(args.home)
            print(f"home {args.home}", flush=True)
        print("Serving until interrupted (Ctrl+C).", flush=True)
        (stop or threading.Event()).wait()


def _serve_imatch_only(args: argparse.Namespace, stop: threading.Event | None) -> None:
    """Only the IMatch simulator: no platform seeding, so huge libraries start at once."""
    with tempfile.TemporaryDirectory(prefix="imatch-demo-") as folder:
        library = args.library
        if library is None:
            library = Path(folder)
            generate_library(library, args.photos)
        imatch = IMatchSimulator(IMatchDatabase.load(library))
        imatch.knobs.latency = args.latency
        with serve_in_thread(imatch.asgi_app, args.imatch_port) as url:
            print(f"imatch {url}", flush=True)
            print(f"library {library}", flush=True)
            (stop or threading.Event()).wait()
