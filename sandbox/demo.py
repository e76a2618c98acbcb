"""`imatch-socials demo` and `imatch-socials sandbox`: the simulators with a sample library."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from pathlib import Path

from imatch.client import IMatchClient
from imatch.library import Publication, read_publication
from sandbox.world import sandbox_world

PLATFORMS = ("flickr", "pixelfed")


def describe(pub: Publication) -> list[str]:
    """Plain lines saying what IMatch holds for one publication."""
    if not pub.exists:
        return [f"{pub.root}: category does not exist"]
    layout = pub.layout
    posted = sum(1 for c in pub.candidates if pub.records.get(c))
    masters = sum(1 for c in pub.candidates if pub.versions.get(c))
    return [
        f"{pub.root}: {len(pub.candidates)} photos to consider",
        f"  already posted       {posted}",
        f"  not yet posted       {len(pub.candidates) - posted}",
        f"  flagged {layout.update:<12} {len(pub.flagged[layout.update])}",
        f"  flagged {layout.metadata:<12} {len(pub.flagged[layout.metadata])}",
        f"  flagged {layout.delete:<12} {len(pub.flagged[layout.delete])}",
        f"  masters (not uploadable) {masters}",
        f"  read with {pub.requests} IMatch requests",
    ]


async def summarise(imatch_url: str) -> list[str]:
    lines = []
    async with IMatchClient(imatch_url) as client:
        for platform in PLATFORMS:
            started = time.perf_counter()
            pub = await read_publication(client, f"Socials|{platform}", platform)
            lines += describe(pub)
            lines.append(f"  in {time.perf_counter() - started:.2f} s")
    return lines


def run_demo(headless: bool) -> int:
    """Start the sandbox with the demo library and show what it holds."""
    with sandbox_world() as world:
        print(f"Sandbox IMatch at {world.imatch_url} with the demo library ({world.library})")
        for line in asyncio.run(summarise(world.imatch_url)):
            print(line)
    if not headless:
        print("The terminal UI is not built yet; this is the headless summary.")
    return 0


def run_sandbox(
    library: Path | None,
    imatch_port: int,
    latency: float,
    photos: int,
    stop: threading.Event | None = None,
) -> int:
    """Serve the simulators until interrupted (or until `stop` is set)."""
    with sandbox_world(library, imatch_port=imatch_port, latency=latency, photos=photos) as world:
        print(f"imatch {world.imatch_url}", flush=True)
        print(f"library {world.library}", flush=True)
        print("Serving until interrupted (Ctrl+C).", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            (stop or threading.Event()).wait()
    return 0
