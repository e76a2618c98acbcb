"""How long the TUI takes to show an interactive photo table, and its memory peak.

    python -m benchmarks.tui_startup [--photos 10000] [--latency 0.0] [--repeat 3]

The sandbox (`imatch-socials sandbox`: IMatch with a generated library of `--photos`
photos on both platforms, flickr and pixelfed) runs in a separate process, so it does not
share our interpreter; the real app runs headless here (120x40) and is timed from start
until the flickr table holds every row. Then filter changes and scrolling are timed, to
show that the table stays responsive at that size. None of the photos is posted yet
(seeding thousands of posts would hit the pixelfed simulator's daily cap), so most are
in the add bucket.

Every start is a new process, as for a user. The first one warms the simulator (its first
answers are slower, which says nothing about our tool); it is printed, then `--repeat`
more starts are timed and each figure is given as the median, lowest and highest value.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.common import library_of, machine


async def measure(home: Path) -> dict[str, float]:
    """One start of the app, in this fresh process; its import time is counted too."""
    started = time.perf_counter()
    from tui.app import SocialsApp

    os.environ["IMATCH_SOCIALS_HOME"] = str(home)
    figures: dict[str, float] = {}
    app = SocialsApp(imatch_label="benchmark")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen

        def table_filled() -> bool:
            view = screen.view_of("flickr")
            return view is not None and view.state is not None and view.table.row_count > 0

        await until(table_filled)
        figures["seconds to interactive table"] = time.perf_counter() - started
        view = screen.view_of("flickr")
        assert view is not None
        figures["rows"] = view.table.row_count
        await until(lambda: not screen.busy)
        figures["seconds until both platforms planned"] = time.perf_counter() - started
        for key, label in (("6", "errors"), ("1", "all")):
            began = time.perf_counter()
            await pilot.press(key)
            figures[f"seconds to filter {label}"] = time.perf_counter() - began
        began = time.perf_counter()
        await pilot.press("end", "home", "pagedown")
        figures["seconds to scroll (end, home, page down)"] = time.perf_counter() - began
        figures["peak MB (resident, whole process)"] = peak_rss_mb()
        await pilot.press("q")
    return figures


def peak_rss_mb() -> float:
    """The process's peak resident size (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def until(condition: Callable[[], bool]) -> None:
    """Wait for the condition without pilot.pause(), which forces a screen refresh on every
    call and so would slow down the very start-up being measured."""
    deadline = time.monotonic() + 600
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the table never filled")
        await asyncio.sleep(0.02)


@contextmanager
def sandbox_with_home(library: Path, home: Path, latency: float) -> Iterator[None]:
    """`imatch-socials sandbox --home` in a child process, until the block ends."""
    command = [
        sys.executable, "-m", "sync.cli", "sandbox", "--imatch-port", "0",
        "--library", str(library), "--latency", str(latency), "--home", str(home),
    ]  # fmt: skip
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("home "):
                break
        yield
    finally:
        child.terminate()
        child.wait(10)


def one_start(home: Path) -> dict[str, float]:
    command = [sys.executable, "-m", "benchmarks.tui_startup", "--one-start", str(home)]
    child = subprocess.run(command, capture_output=True, text=True, check=True)
    figures: dict[str, float] = json.loads(child.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--photos", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one-start", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_start:
        print(json.dumps(asyncio.run(measure(args.one_start))))
        return
    library = library_of(args.photos, posted_share=0.0)
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        with sandbox_with_home(library, home, args.latency):
            for _ in range(args.repeat + 1):
                runs.append(one_start(home))
    print(
        f"machine: {machine()}; {args.photos} photos; IMatch latency {args.latency * 1000:.0f} ms"
    )
    print(f"{'':>42}  {'first':>7}  {'median':>7}  {'range':>15}  ({args.repeat} starts)")
    for name in runs[0]:
        first, timed = runs[0][name], sorted(run[name] for run in runs[1:])
        if name == "rows":
            print(
                f"{name:>42}: {first:7,.0f}  (every start: {', '.join(f'{t:,.0f}' for t in timed)})"
            )
            continue
        print(
            f"{name:>42}: {first:7,.2f}  {statistics.median(timed):7,.2f}  "
            f"{timed[0]:7,.2f}-{timed[-1]:<7,.2f}"
        )


if __name__ == "__main__":
    main()
