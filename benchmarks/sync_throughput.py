"""Sync throughput: N new photos per platform against the simulators with latency.

    python -m benchmarks.sync_throughput [--photos 500] [--latency 0.05] [--platform NAME]

The simulators run in this process; the sync runs as `imatch-socials --headless` in a
child process, once with the default concurrency and once with one photo at a time.
Both platforms run side by side unless `--platform` picks one (repeatable), which shows
that platform's own concurrency speed-up.
Client-side rate limits are lifted so the figures show the tool, not flickr's quota
(flickr allows 3600 calls an hour per key: at 2 calls per add, about 1800 adds an hour);
`--defaults` keeps every setting at its default instead, pace included.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.common import WORK, machine
from sandbox.library import generate_library
from sandbox.world import sandbox_world

NO_LIMITS = 3_600_000


def library(photos: int) -> Path:
    path = WORK / f"throughput-{photos}"
    if not (path / "library.json").is_file():
        generate_library(path, photos, cases=False, posted_share=0.0, seed=photos)
    return path


def run(
    photos: int,
    latency: float,
    concurrency: dict[str, int] | None,
    platforms: list[str],
    defaults: bool = False,
) -> dict[str, Any]:
    lifted: dict[str, object] = {} if defaults else {"rate_per_hour": NO_LIMITS}
    overrides: dict[str, dict[str, object]] = {p: dict(lifted) for p in ("flickr", "pixelfed")}
    for platform, value in (concurrency or {}).items():
        overrides[platform]["concurrency"] = value
    with tempfile.TemporaryDirectory() as home, sandbox_world(library(photos)) as world:
        world.configure_home(Path(home), overrides)
        for sim in (world.imatch, world.flickr, world.pixelfed):
            sim.knobs.latency = latency
        env = {**os.environ, "IMATCH_SOCIALS_HOME": home}
        started = time.perf_counter()
        child = subprocess.run(
            [sys.executable, "-m", "sync.cli", "--headless", "--json"]
            + [arg for name in platforms for arg in ("--platform", name)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - started
        summary = json.loads(child.stdout)
        added = {p: summary["platforms"][p]["added"] for p in platforms}
        return {
            "seconds": seconds,
            "added": added,
            "imatch": len(world.imatch.log),
            "flickr": len(world.flickr.log),
            "pixelfed": len(world.pixelfed.log),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--platform", action="append", choices=("flickr", "pixelfed"))
    parser.add_argument("--defaults", action="store_true", help="keep the default pace")
    args = parser.parse_args()
    platforms = args.platform or ["flickr", "pixelfed"]
    print(
        f"machine: {machine()}; {args.photos} new photos per platform; "
        f"latency {args.latency * 1000:.0f} ms per request on every simulator; "
        f"platforms: {', '.join(platforms)}; "
        f"pace: {'the defaults' if args.defaults else 'client-side limits lifted'}"
    )
    one_at_a_time = dict.fromkeys(platforms, 1)
    results = {
        "default concurrency (flickr 2, pixelfed 4)": run(
            args.photos, args.latency, None, platforms, args.defaults
        ),
        "concurrency 1": run(args.photos, args.latency, one_at_a_time, platforms, args.defaults),
    }
    base = results["concurrency 1"]["seconds"]
    for name, result in results.items():
        photos = sum(result["added"].values())
        print(
            f"{name}: {result['seconds']:.1f} s for {photos} adds "
            f"({photos / result['seconds']:.1f} photos/s); requests per photo: "
            f"IMatch {result['imatch'] / photos:.2f}, "
            + "".join(f"{p} {result[p] / result['added'][p]:.2f}, " for p in platforms)
            + f"speed-up vs concurrency 1: {base / result['seconds']:.2f}x"
        )


if __name__ == "__main__":
    main()
