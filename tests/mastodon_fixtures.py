"""Helpers shared by the Mastodon tests: image files and one clock for simulator and adapter.

Imported by `test_mastodon_*.py` (no fixtures here, so nothing is shared by accident).
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from sandbox.mastodon_server import MastodonSimulator
from sync.platforms.base import MediaFile

START = 1_700_000_000.0
"""The simulators' clock at the start of every test (a Tuesday, 22:13:20 UTC)."""


def image_bytes(kind: str = "JPEG", size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (40, 120, 200)).save(buffer, kind)
    return buffer.getvalue()


def media_file(path: Path, kind: str = "JPEG", size: tuple[int, int] = (64, 48)) -> MediaFile:
    path.write_bytes(image_bytes(kind, size))
    return MediaFile(path, path.stat().st_size, kind)


class SimulatedTime:
    """The simulator's clock as the adapter sees it: `sleep` moves simulated time forward
    (running the simulator's due jobs) instead of waiting, and records every wait."""

    def __init__(self, sim: MastodonSimulator) -> None:
        self.sim = sim
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.sim.now()

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.sim.advance(seconds)
