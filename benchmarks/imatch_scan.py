"""How many IMatch requests, seconds and MB a full read of one publication costs.

    python -m benchmarks.imatch_scan [--sizes 1000,10000] [--latency 0.002]

Each size gets a generated library (cached in benchmarks/.work), served by the IMatch
simulator in a separate process with the given latency per request. The last two columns
are pixelfed's read right after flickr's, reusing the files flickr's read holds (as the
app does when it plans both platforms).
"""

from __future__ import annotations

import argparse
import asyncio
import time
import tracemalloc

from benchmarks.common import library_of, machine, sandbox_process
from imatch.client import IMatchClient
from imatch.library import Publication, read_publication


async def scan(url: str, chunk_size: int) -> Publication:
    async with IMatchClient(url, chunk_size=chunk_size) as client:
        return await read_publication(client, "Socials|flickr", "flickr")


async def second_platform(url: str, chunk_size: int, first: Publication) -> tuple[int, float]:
    """Requests and seconds for pixelfed's read right after flickr's, reusing its files."""
    async with IMatchClient(url, chunk_size=chunk_size) as client:
        started = time.perf_counter()
        pub = await read_publication(client, "Socials|pixelfed", "pixelfed", reuse=first)
        return pub.requests, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--latency", type=float, default=0.002)
    parser.add_argument("--chunk-size", type=int, default=500)
    args = parser.parse_args()
    print(f"machine: {machine()}; latency {args.latency * 1000:.0f} ms; chunk {args.chunk_size}")
    print(
        f"{'photos':>8} {'requests':>9} {'req/photo':>10} {'seconds':>8} {'peak MB':>8}"
        f"  {'2nd platform: requests':>22} {'seconds':>8}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        library = library_of(size)
        with sandbox_process(library, args.latency) as url:
            asyncio.run(scan(url, args.chunk_size))  # warm the server's caches
            started = time.perf_counter()
            pub = asyncio.run(scan(url, args.chunk_size))
            seconds = time.perf_counter() - started
            tracemalloc.start()
            asyncio.run(scan(url, args.chunk_size))
            peak = tracemalloc.get_traced_memory()[1] / 1e6
            tracemalloc.stop()
            second_requests, second_seconds = asyncio.run(
                second_platform(url, args.chunk_size, pub)
            )
        photos = len(pub.candidates)
        print(
            f"{photos:>8} {pub.requests:>9} {pub.requests / photos:>10.4f} "
            f"{seconds:>8.2f} {peak:>8.1f}  {second_requests:>22} {second_seconds:>8.2f}"
        )


if __name__ == "__main__":
    main()
