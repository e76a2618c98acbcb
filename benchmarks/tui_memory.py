"""Where the TUI's memory goes at start-up: resident size after each stage of a start.

    python -m benchmarks.tui_memory [--photos 50000] [--second]

Runs the sandbox (as `tui_startup` does) and one start of the app in a new process, and
prints the resident size (and the peak so far) after each stage the screen goes through:
the session opened, each platform's rows as read (first start) or its last plan (second
start, `--second`: a first start is made before to store the plans), each platform's plan
shown, and the end. Profiling, not a timed figure: `tui_startup` gives the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

STAGES: list[tuple[str, float, float, float, float, float]] = []
STARTED = time.perf_counter()


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def note(label: str) -> None:
    """The stage's time, resident size and peak; with `--trace`, the size and peak of the
    Python objects alive (tracemalloc), which tells fragmentation from live data."""
    traced, traced_peak = (n / 1024 / 1024 for n in tracemalloc.get_traced_memory())
    seconds = round(time.perf_counter() - STARTED, 2)
    STAGES.append((label, seconds, resident_mb(), peak_mb(), traced, traced_peak))


def watch_stages() -> None:
    """Notes the resident size after the view methods that change what is held."""
    from tui.widgets.platform_view import PlatformView

    def wrapped(name: str) -> None:
        original = getattr(PlatformView, name)

        def call(self: PlatformView, *args: Any, **kwargs: Any) -> Any:
            result = original(self, *args, **kwargs)
            what = ""
            if args and hasattr(args[0], "provisional"):
                what = " (read)" if args[0].provisional else " (last plan)"
            note(f"{self.platform}: {name}{what}")
            return result

        setattr(PlatformView, name, call)

    for name in ("_apply_snapshot", "load", "catch_up"):
        wrapped(name)


async def profile(home: Path) -> list[tuple[str, float, float, float, float, float]]:
    from benchmarks.tui_startup import until

    note("imports")
    from tui.app import SocialsApp

    note("tui.app imported")
    watch_stages()
    os.environ["IMATCH_SOCIALS_HOME"] = str(home)
    app = SocialsApp(imatch_label="benchmark")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen
        await until(lambda: bool(screen.views()))
        note("session opened")
        await until(lambda: all(v.state is not None for v in screen.views()) and not screen.busy)
        note("every platform planned")
        for _ in screen.views()[1:]:  # the other tabs, filled when shown
            await pilot.press("right_square_bracket")
        await until(lambda: not any(v.table_stale for v in screen.views()))
        note("every tab shown")
        await pilot.press("q")
    return STAGES


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--photos", type=int, default=50000)
    parser.add_argument("--second", action="store_true", help="profile a second start")
    parser.add_argument("--trace", action="store_true", help="also trace Python's objects")
    parser.add_argument("--one-start", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_start:
        if args.trace:
            tracemalloc.start()
        print(json.dumps(asyncio.run(profile(args.one_start))))
        return
    from benchmarks.common import library_of
    from benchmarks.tui_startup import forget_snapshots, one_start, sandbox_with_home

    library = library_of(args.photos, posted_share=0.0)
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        with sandbox_with_home(library, home, 0.0):
            if args.second:
                one_start(home)
            else:
                forget_snapshots(home)
            command = [sys.executable, "-m", "benchmarks.tui_memory", "--one-start", str(home)]
            command += ["--trace"] if args.trace else []
            child = subprocess.run(command, capture_output=True, text=True, check=True)
    stages = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"{'stage':<40} {'s':>6} {'RSS MB':>7} {'peak MB':>8} {'traced':>7} {'peak':>7}")
    for label, seconds, resident, peak, traced, traced_peak in stages:
        line = f"{label:<40} {seconds:6.2f} {resident:7.1f} {peak:8.1f}"
        print(line + (f" {traced:7.1f} {traced_peak:7.1f}" if args.trace else ""))


if __name__ == "__main__":
    main()
