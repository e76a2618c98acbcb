"""How long the TUI takes to show an interactive photo table, and its memory peak.

    python -m benchmarks.tui_startup [--photos 10000] [--latency 0.0]

The sandbox (`imatch-socials sandbox`: IMatch with a generated library of `--photos`
photos on both platforms, flickr and pixelfed) runs in a separate process, so it does not
share our interpreter; the real app runs headless here (120x40) and is timed from start
until the flickr table holds every row. Then filter changes and scrolling are timed, to
show that the table stays responsive at that size. None of the photos is posted yet
(seeding thousands of posts would hit the pixelfed simulator's daily cap), so most are
in the add bucket.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.common import library_of, machine


async def measure(home: Path) -> dict[str, float]:
    from tui.app import SocialsApp

    os.environ["IMATCH_SOCIALS_HOME"] = str(home)
    figures: dict[str, float] = {}
    started = time.perf_counter()
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


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--photos", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    library = library_of(args.photos, posted_share=0.0)
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        with sandbox_with_home(library, home, args.latency):
            figures = asyncio.run(measure(home))
    print(
        f"machine: {machine()}; {args.photos} photos; IMatch latency {args.latency * 1000:.0f} ms"
    )
    for name, value in figures.items():
        print(f"{name:>42}: {value:,.2f}" if value % 1 else f"{name:>42}: {value:,.0f}")


if __name__ == "__main__":
    main()
