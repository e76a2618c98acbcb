"""Each platform's own windows: flickr's 3,600 calls an hour, pixelfed's 10 media edits a minute.

The limiter is checked on a fake clock over two simulated hours; pixelfed's pacing is
checked end to end against the simulator, whose minute moves with the same fake clock.
"""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from sync.engine import RetryPolicy
from sync.events import Event, Waiting
from sync.platforms.base import RateLimiter
from sync.report import Reporter
from sync.rules import Action
from sync.session import SyncSession
from tests.sync_checks import NO_RATE_LIMITS, records

HOUR = 3600.0


class FakeClock:
    def __init__(self, world: SandboxWorld | None = None) -> None:
        self.now = 1000.0
        self.world = world

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        if self.world is not None:
            self.world.pixelfed.advance(seconds)
        await asyncio.sleep(0)


def most_in_any_window(times: list[float], window: float) -> int:
    most, start = 0, 0
    for end, moment in enumerate(times):
        while moment - times[start] >= window:
            start += 1
        most = max(most, end - start + 1)
    return most


async def test_flickr_limiter_grants_at_most_3600_calls_in_any_rolling_hour() -> None:
    fake = FakeClock()
    limiter = RateLimiter(rate_per_hour=3600, clock=fake.clock, sleep=fake.sleep)
    granted: list[float] = []
    while fake.now < 1000 + 2 * HOUR:
        await limiter.acquire()
        granted.append(fake.now)
    assert most_in_any_window(granted, HOUR) <= 3600
    # The burst still lets the first calls go at once, and the pace stays near 1 a second.
    assert granted[:10] == [1000.0] * 10
    assert len(granted) >= 2 * 3600 - 100


async def test_a_minute_window_limiter_allows_its_count_in_any_minute() -> None:
    fake = FakeClock()
    waits: list[float] = []
    limiter = RateLimiter(
        rate_per_hour=600, burst=10, window=60.0, clock=fake.clock, sleep=fake.sleep
    )
    limiter.listeners.append(waits.append)
    granted = []
    for _ in range(35):
        await limiter.acquire()
        granted.append(fake.now)
    assert most_in_any_window(granted, 60.0) <= 10
    assert waits  # the waits are announced, so the UI can show them


async def test_calls_read_back_count_once_and_fill_the_next_processs_window() -> None:
    fake = FakeClock()
    first = RateLimiter(rate_per_hour=15, burst=15, clock=fake.clock, sleep=fake.sleep)
    first.wall = lambda: fake.now + 1_000_000  # epoch seconds run apart from the clock
    for _ in range(10):
        await first.acquire()
    kept = first.calls_in_window()
    assert len(kept) == 10
    first.count_earlier_calls(kept)  # its own calls, read back: not counted twice
    assert len(first.calls_in_window()) == 10
    fake.now += 60
    second = RateLimiter(rate_per_hour=15, burst=15, clock=fake.clock, sleep=fake.sleep)
    second.wall = lambda: fake.now + 1_000_000
    second.count_earlier_calls(kept)
    start = fake.now
    for _ in range(5):
        await second.acquire()
    assert fake.now == start  # 15 in the hour: 5 more fit
    await second.acquire()
    assert fake.now >= start + HOUR - 60  # the 16th waits until the first call is an hour old


async def test_a_sessions_own_calls_read_back_count_once_when_the_clocks_drift() -> None:
    """A TUI session saves its calls after each run and reads them back before the next;
    the wall clock moving against the monotonic one meanwhile (a time service correction)
    must not make its own calls count twice."""
    fake = FakeClock()
    drift = [0.0]
    limiter = RateLimiter(rate_per_hour=100, burst=100, clock=fake.clock, sleep=fake.sleep)
    limiter.wall = lambda: fake.now + 1_000_000 + drift[0]
    for run in range(1, 4):
        for _ in range(10):
            await limiter.acquire()
        kept = limiter.calls_in_window()
        drift[0] += 0.0007 * run  # under a millisecond: the calls' stamps round apart
        limiter.count_earlier_calls(kept)
        assert len(limiter.calls_in_window()) == 10 * run, run


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxWorld]:
    library = tmp_path / "library"
    generate_library(library, 12, cases=False, posted_share=1.0, seed=8)
    with sandbox_world(library) as world:
        world.configure_home(tmp_path / "home", NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        yield world


async def test_pixelfed_alt_text_edits_wait_for_the_minute_instead_of_failing(
    world: SandboxWorld,
) -> None:
    assert world.pixelfed.settings.media_update_per_minute == 10  # pixelfed's own limit
    posted = sorted(records(world, "pixelfed"))
    assert len(posted) == 12
    for file_id in posted:
        world.imatch.db.files[file_id].tags["headline"] = f"New alt text for {file_id}"
    world.imatch.db.assign("Socials|pixelfed|_metadata", posted)
    fake = FakeClock(world)
    events: list[Event] = []
    retry = RetryPolicy(sleep=fake.sleep, clock=fake.clock)  # the default attempts and delays
    async with SyncSession(retry=retry) as session:
        state = await session.prepare("pixelfed")
        assert state.plan is not None
        assert len(state.plan.bucket(Action.METADATA)) == 12
        summary = await session.run("pixelfed", emit=events.append)
    assert summary.failed == 0, summary.failures
    assert summary.metadata == 12
    refused = [r for r in world.pixelfed.log.records if r.status == 429]
    assert refused == []
    waits = [e for e in events if isinstance(e, Waiting) and e.reason == "rate limit"]
    assert waits, "the wait for pixelfed's minute is shown"
    said = io.StringIO()  # what a headless run prints of those waits
    reporter = Reporter(io.StringIO(), json_mode=False)
    reporter.lines = said
    for wait in waits:
        reporter(wait)
    assert re.search(r"^pixelfed: waiting \d+ s for the rate limit$", said.getvalue(), re.M)
    for file_id in posted:
        media_id = records(world, "pixelfed")[file_id][0]["media_id"]
        assert world.pixelfed.state.media[media_id].description == f"New alt text for {file_id}"


async def test_flickr_calls_of_an_earlier_run_count_in_the_next_runs_hour(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """flickr counts calls per key in any hour, whichever process made them: a run
    started right after another (the IMatch app's button, a scheduled run) waits for the
    calls of the earlier one to leave the hour instead of starting with a fresh one."""
    library = tmp_path / "library"
    generate_library(library, 12, cases=False, posted_share=0.0, seed=8)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # counted as waited, nothing really waits
        waits.append(seconds)

    retry = RetryPolicy(sleep=sleep)
    home = tmp_path / "home"
    with sandbox_world(library) as world:
        world.configure_home(home, NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(home))
        async with SyncSession(retry=retry) as session:
            state = await session.prepare("flickr")
            assert state.plan is not None
            await session.run("flickr", state.plan.bucket(Action.ADD)[:4])
        earlier = len(world.flickr.log.records)
        # The next run may make a few calls more in the hour than the first one made.
        world.configure_home(home, {**NO_RATE_LIMITS, "flickr": {"rate_per_hour": earlier + 8}})
        events: list[Event] = []
        async with SyncSession(retry=retry) as session:
            state = await session.prepare("flickr")
            assert state.plan is not None
            summary = await session.run(
                "flickr", state.plan.bucket(Action.ADD)[:4], emit=events.append
            )
    assert summary.added == 4, summary.failures
    hour = [e.seconds for e in events if isinstance(e, Waiting) and e.reason == "rate limit"]
    assert hour, "the run waited for nothing"
    assert max(hour) > 600, hour  # it waited for the earlier run's calls to age
