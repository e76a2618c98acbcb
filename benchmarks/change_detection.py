"""What change detection costs when planning, and what a baseline costs, on big libraries.

    python -m benchmarks.change_detection [--sizes 1000,10000]

Each size gets a generated library where every photo is posted (cached in
benchmarks/.work), read once from the IMatch simulator in a separate process. Then, in
this process: planning flickr without a record of what was published, recording the
baseline of every posted photo (the state store, written in one transaction, with the
JPEG picture digest of each file), reading that record back, and planning with it
(every photo compared field by field). No platform is called.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from benchmarks.common import library_of, machine, sandbox_process
from imatch.client import IMatchClient
from imatch.library import Publication, read_publication
from sync.config import Credentials, Settings
from sync.journal import Journal
from sync.plan import is_posted, make_plan, published_now


async def scan(url: str) -> Publication:
    async with IMatchClient(url) as client:
        return await read_publication(client, "Socials|flickr", "flickr")


def measure(publication: Publication, state: Path) -> tuple[int, float, float, float, float, int]:
    settings, credentials = Settings(), Credentials()
    started = time.perf_counter()
    plan = make_plan("flickr", publication, settings, credentials, None)
    plain = time.perf_counter() - started

    journal = Journal(state / "journal.sqlite")
    started = time.perf_counter()
    posted = {i.file_id: published_now(i, "baseline") for i in plan.items if is_posted(i)}
    journal.store.remember_many_published("flickr", posted)
    baseline = time.perf_counter() - started

    started = time.perf_counter()
    published = journal.store.published("flickr")
    load = time.perf_counter() - started

    started = time.perf_counter()
    detected = make_plan("flickr", publication, settings, credentials, None, published=published)
    compared = time.perf_counter() - started
    journal.close()
    return len(posted), plain, baseline, load, compared, detected.counts()["changed"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(
        f"{'photos':>8} {'plan s':>7} {'baseline s':>11} {'load s':>7} "
        f"{'plan+detect s':>14} {'changed':>8}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        library = library_of(size, posted_share=1.0)
        with sandbox_process(library, 0.0) as url:
            publication = asyncio.run(scan(url))
        with tempfile.TemporaryDirectory() as state:
            posted, plain, baseline, load, compared, changed = measure(publication, Path(state))
        print(
            f"{posted:>8} {plain:>7.2f} {baseline:>11.2f} {load:>7.2f} "
            f"{compared:>14.2f} {changed:>8}"
        )


if __name__ == "__main__":
    main()
