"""What holds memory (and CPU) after every platform is planned, as the TUI plans.

    python -m benchmarks.scan_memory [--photos 10000] [--top 25] [--no-trace]

The sandbox (IMatch with a generated library of `--photos` photos on every platform, and
the platforms' simulators) runs in its own process. This process plans every platform as
the TUI does (one after the other, each reusing what the ones before read, every plan
kept), then prints the lines of code whose allocations are still alive, largest first
(tracemalloc), with the traced total, the peak resident size and the CPU seconds. With
`--no-trace` only the last two are measured (tracemalloc slows planning about 4x and
adds its own memory to the resident size).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path


async def plan_everything(top: int, trace: bool) -> None:
    from sync.config import load_settings
    from sync.session import SyncSession

    session = SyncSession(load_settings(), dry_run=True)
    async with session:
        names = list(session.taking_part())
        # One after the other, each reusing what the ones before read (the session's own
        # loop); every plan is kept, as the TUI keeps them (a headless dry run lets each
        # go once it is listed).
        await session.prepare_all(names)
        gc.collect()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"platforms: {', '.join(names)}; peak resident MB {peak:.1f}")
        if trace:
            snapshot = tracemalloc.take_snapshot()
            current, _ = tracemalloc.get_traced_memory()
            print(f"traced MB alive after planning: {current / 1e6:.1f}")
            for line in snapshot.statistics("lineno")[:top]:
                print(f"  {line}")


def main() -> None:
    from benchmarks.common import library_of, machine
    from benchmarks.tui_startup import load_average, sandbox_with_home

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--photos", type=int, default=10_000)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--no-trace", action="store_true")
    args = parser.parse_args()
    library = library_of(args.photos, posted_share=0.0)
    print(f"machine: {machine()}; {args.photos:,} photos; {load_average()}")
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        with sandbox_with_home(library, home, 0.0):
            os.environ["IMATCH_SOCIALS_HOME"] = str(home)
            if not args.no_trace:
                tracemalloc.start(1)
            began = time.process_time()
            asyncio.run(plan_everything(args.top, not args.no_trace))
            print(f"CPU seconds (this process): {time.process_time() - began:.2f}")


if __name__ == "__main__":
    main()
