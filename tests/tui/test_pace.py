"""Pacing at the defaults: pixelfed's own limits, not ours, bound a run, and the run panel
says which limits are in use."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.library import LibraryInfo
from sandbox.world import SandboxWorld, sandbox_world
from sync.config import Settings
from sync.platforms.base import RateLimiter
from tests.tui.helpers import SIZE, log_text, make_app, ready, settle, view


@pytest.fixture
def world(
    sample_library: LibraryInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SandboxWorld]:
    """The simulators with the default limits (the TUI tests' own `world` lifts ours)."""
    with sandbox_world(sample_library.path) as running:
        running.configure_home(tmp_path)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
        yield running


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_pixelfed_default_pace_lets_concurrency_pay() -> None:
    """500 adds are 1,000 pixelfed calls; pixelfed throttles none of them (only media
    updates, 10 a minute, and daily caps), so our own pace must not make them wait long."""
    own = Settings().platform("pixelfed")
    fake = FakeTime()
    limiter = RateLimiter(rate_per_hour=own.rate_per_hour, clock=fake.clock, sleep=fake.sleep)

    async def calls() -> None:
        for _ in range(1000):
            await limiter.acquire()

    asyncio.run(calls())
    # At 50 ms a call, 4 photos in flight make about 40 calls a second: the pace must allow it.
    assert fake.now <= 1000 / 40


async def test_the_run_panel_names_the_limits_in_use(world: SandboxWorld) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("right_square_bracket")
        pixelfed = view(app, "pixelfed")
        await pilot.press("2", "space", "a")
        await settle(pilot)
        text = log_text(pixelfed)
        assert "Limits in use: 4 photos at a time" in text
        assert "10 alt-text updates a minute" in text
        assert "1,250 uploads and 1,000 posts a day" in text
