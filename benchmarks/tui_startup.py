"""How long the TUI takes to show an interactive photo table, against a bare Textual table.

    python -m benchmarks.tui_startup [--photos 10000,50000] [--latency 0.0] [--repeat 3]

The sandbox (`imatch-socials sandbox`: IMatch with a generated library of `--photos`
photos on both platforms, flickr and pixelfed) runs in a separate process, so it does not
share our interpreter; the real app runs headless here (120x40) and is timed from start
until the flickr table holds every row, then until both platforms are planned. None of the
photos is posted yet (seeding thousands of posts would hit the pixelfed simulator's daily
cap), so most are in the add bucket.

Every start is a new process, as for a user (imports included). In each round, side by
side: the floor, a bare Textual app whose DataTable gets the same number of rows with the
same columns; a first start (no plan snapshot stored); a second start (the snapshot the
first start stored is shown at once, the plan is made again behind it); with `--base DIR`
(another commit's code, e.g. `git archive C | tar -x -C DIR`), that code's first start
too, in the same round, against the same sandbox. The first round
warms the simulator and is left out; the other `--repeat` rounds give the median, lowest
and highest value, and the median of each round's ratio to its floor.

Compiled modules are kept from the warm-up round on (in a folder of the run,
`PYTHONPYCACHEPREFIX`), for the bare table and every code alike, as an installed program
keeps them, whatever `PYTHONDONTWRITEBYTECODE` says; `--no-bytecode` compiles every
module from source at every start (the condition of the figures before 2026-11-29 21:00).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

STARTED = time.perf_counter()
"""This process's start (a start is timed from here: the imports count)."""


async def measure(home: Path) -> dict[str, float]:
    """One start of the app, in this fresh process; its import time is counted too."""
    from tui.app import SocialsApp

    os.environ["IMATCH_SOCIALS_HOME"] = str(home)
    figures: dict[str, float] = {}
    app = SocialsApp(imatch_label="benchmark")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.main_screen

        def table_filled() -> bool:
            view = screen.view_of("flickr")
            return view is not None and view.is_mounted and view.table.row_count > 0

        await until(table_filled)
        figures["seconds to interactive table"] = time.perf_counter() - STARTED
        view = screen.view_of("flickr")
        assert view is not None
        figures["rows"] = view.table.row_count
        figures["from snapshot"] = float(view.state is None)
        await until(lambda: all(v.state is not None for v in screen.views()) and not screen.busy)
        figures["seconds until both platforms planned"] = time.perf_counter() - STARTED
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


async def measure_bare(rows: int) -> dict[str, float]:
    """The floor: a bare Textual app that shows a DataTable of `rows` rows, five columns
    of short strings like the photo table's, timed the same way."""
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable(cursor_type="row", zebra_stripes=True)

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            for label, width in (("Action", 11), ("Name", 20), ("Errors", 30), ("Title", 30)):
                table.add_column(label, width=width)
            table.add_column("Size", width=8)
            table.add_rows(
                ("  add", f"IMG_{n:05}.jpg", "", f"Photo {n}", "1.2 MB") for n in range(rows)
            )

    figures: dict[str, float] = {}
    app = Bare()
    async with app.run_test(size=(120, 40)):
        table = app.query_one(DataTable)
        await until(lambda: table.row_count >= rows)
        figures["seconds to interactive table"] = time.perf_counter() - STARTED
        figures["rows"] = table.row_count
        figures["peak MB (resident, whole process)"] = peak_rss_mb()
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


BYTECODE: Path | None = None
"""Where every start keeps its compiled modules (None: compiled from source every time)."""


def start_environment() -> dict[str, str]:
    from benchmarks.common import bytecode_environment  # the parent's only: not timed

    return bytecode_environment(BYTECODE)


def one_start(home: Path | None, bare_rows: int = 0, code: Path | None = None) -> dict[str, float]:
    """One start in a new process: the app against `home`, or the bare table; `code`: a
    folder holding another commit's code (`git archive`), started instead of this one."""
    command = [sys.executable, "-m", "benchmarks.tui_startup"]
    command += ["--bare", str(bare_rows)] if home is None else ["--one-start", str(home)]
    child = subprocess.run(
        command, capture_output=True, text=True, cwd=code, env=start_environment()
    )
    if child.returncode:
        Path("benchmarks/.work/failed-start.txt").write_text(child.stderr)
        raise SystemExit(f"a start failed:\n{child.stderr[-3000:]}")
    figures: dict[str, float] = json.loads(child.stdout.strip().splitlines()[-1])
    return figures


def forget_snapshots(home: Path) -> None:
    """Make the next start a first start: no plan snapshot stored."""
    database = home / "state" / "journal.sqlite"
    if database.is_file():
        with sqlite3.connect(database) as db:
            db.execute("DELETE FROM plan_snapshots")


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def median_range(values: list[float]) -> str:
    ordered = sorted(values)
    return f"{statistics.median(ordered):7,.2f}  {ordered[0]:7,.2f}-{ordered[-1]:<7,.2f}"


def run_size(photos: int, latency: float, repeat: int, base: Path | None = None) -> None:
    from benchmarks.common import library_of  # the sandbox's modules: not in a timed start

    library = library_of(photos, posted_share=0.0)
    rounds: list[dict[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        with sandbox_with_home(library, home, latency):
            for _ in range(repeat + 1):
                figures = {"bare": one_start(None, photos)}
                if base is not None:  # the other code's first start, in the same round
                    forget_snapshots(home)
                    figures["base first"] = one_start(home, code=base)
                forget_snapshots(home)
                figures["first"] = one_start(home)
                figures["second"] = one_start(home)
                assert figures["second"]["from snapshot"] == 1.0, "no snapshot was shown"
                rounds.append(figures)
    timed = rounds[1:]
    print(f"\n{photos:,} photos; IMatch latency {latency * 1000:.0f} ms; {repeat} rounds")
    print(f"{'':>46}  {'median':>7}  {'range':>15}")
    table = "seconds to interactive table"
    starts = ("bare", "base first", "first", "second") if base else ("bare", "first", "second")
    for start in starts:
        for name in (table, "seconds until both platforms planned",
                     "peak MB (resident, whole process)"):  # fmt: skip
            values = [r[start][name] for r in timed if name in r[start]]
            if values:
                print(f"{start + ': ' + name:>46}  {median_range(values)}")
    for start in starts[1:]:
        ratios = [r[start][table] / r["bare"][table] for r in timed]
        print(f"{start + ' start / bare table (ratio)':>46}  {median_range(ratios)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--photos", default="10000", help="sizes, comma-separated")
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--base", type=Path, help="a folder with another commit's code: its first start too"
    )
    parser.add_argument(
        "--no-bytecode", action="store_true", help="compile every module at every start"
    )
    parser.add_argument("--one-start", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--bare", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one_start:
        print(json.dumps(asyncio.run(measure(args.one_start))))
        return
    if args.bare:
        print(json.dumps(asyncio.run(measure_bare(args.bare))))
        return
    from benchmarks.common import machine

    print(f"machine: {machine()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    global BYTECODE
    print(f"before: {load_average()}")
    print("modules: " + ("compiled at every start" if args.no_bytecode else "bytecode kept"))
    with tempfile.TemporaryDirectory() as bytecode:
        BYTECODE = None if args.no_bytecode else Path(bytecode)
        for photos in (int(size) for size in args.photos.split(",")):
            run_size(photos, args.latency, args.repeat, args.base)
    print(f"after: {load_average()}")


if __name__ == "__main__":
    main()
