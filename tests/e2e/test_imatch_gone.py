"""Transport errors of IMatch: mapped, retried, and IMatch gone stops the run.

A connection reset while sending (httpx.WriteError) is an IMatch error like any other
and is retried; IMatch that stops answering mid-run (flickr and pixelfed still up) stops
the run within seconds with one message, starts no remote change it cannot record, and
never claims the error categories were written. The next run records what was made.
"""

from __future__ import annotations

import functools
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import sync.session
from imatch.client import IMatchClient
from imatch.errors import IMatchError
from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from sync.retry import RetryPolicy
from tests.sync_checks import (
    NO_RATE_LIMITS,
    PLATFORMS,
    assert_each_post_once,
    records,
    sync_once,
)

PHOTOS = 30


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxWorld]:
    library = tmp_path / "library"
    generate_library(library, PHOTOS, cases=False, posted_share=0.2, seed=4)
    with sandbox_world(library) as world:
        world.configure_home(tmp_path / "home", NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        yield world


class ResettingTransport(httpx.AsyncBaseTransport):
    """Every `every`-th request fails while being sent, as a reset connection does; its
    retry goes through (the client's short retry is what is tested, not its limit)."""

    def __init__(self, every: int) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.every = every
        self.count = 0
        self.resets = 0
        self.reset: set[tuple[str, str, bytes]] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        key = (request.method, str(request.url), request.content)
        if self.count % self.every == 0 and key not in self.reset:
            self.reset.add(key)
            self.resets += 1
            raise httpx.WriteError("[Errno 104] Connection reset by peer")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_connection_resets_while_sending_are_retried(
    world: SandboxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = ResettingTransport(every=7)
    client = functools.partial(IMatchClient, retry_delay=0.0, transport=transport)
    monkeypatch.setattr(sync.session, "IMatchClient", client)
    code, summary = sync_once()
    assert transport.resets > 5
    assert code == 0, summary
    assert_each_post_once(world)
    for platform in PLATFORMS:
        assert len(records(world, platform)) == PHOTOS


async def test_a_write_error_is_an_imatch_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.WriteError("[Errno 32] Broken pipe")

    client = IMatchClient(
        "http://127.0.0.1:9", retry_delay=0, retries=1, transport=httpx.MockTransport(refuse)
    )
    async with client:
        with pytest.raises(IMatchError, match="did not answer"):
            await client.category("Socials|flickr")


def live_posts(world: SandboxWorld, platform: str) -> int:
    """Posts on the simulator, counted without its lock (called from inside a request)."""
    if platform == "flickr":
        return len(world.flickr.state.photos)
    statuses = getattr(world, platform).state.statuses
    return sum(1 for s in list(statuses.values()) if not s.deleted)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_imatch_gone_mid_run_stops_it_within_seconds(world: SandboxWorld, platform: str) -> None:
    sim = getattr(world, platform)
    stopped_at: list[int] = []
    before = live_posts(world, platform)

    def imatch_quits_after_three_posts() -> None:
        if not stopped_at and live_posts(world, platform) >= before + 3:
            stopped_at.append(live_posts(world, platform))
            world.stop("imatch")

    sim.knobs.on_mutation = imatch_quits_after_three_posts
    started = time.monotonic()
    code, summary = sync_once(platforms=[platform])
    took = time.monotonic() - started
    sim.knobs.on_mutation = None
    result = summary["platforms"][platform]
    assert code == 1
    assert took < 20, took
    assert "IMatch" in result["stopped"], result
    assert result["failed"] == 0, result["failures"]  # not photo by photo
    assert not result["categories_written"]
    # Only what was in flight when IMatch went away; nothing started afterwards.
    made_after = live_posts(world, platform) - stopped_at[0]
    concurrency = 2 if platform == "flickr" else 4
    assert made_after <= concurrency, made_after

    world.restart("imatch")
    code, summary = sync_once(platforms=[platform])
    assert code == 0, summary
    assert len(records(world, platform)) == PHOTOS
    assert_each_post_once(world)


def test_the_waits_between_imatch_retries_use_the_runs_retry_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every wait of a run goes through its RetryPolicy (tests fake it): IMatch's short
    retries too, so a run against an IMatch that is not running waits no real second."""
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{sock.getsockname()[1]}"
    monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
    monkeypatch.setenv("IMATCH_SOCIALS_IMATCH_URL", down)
    code, summary = sync_once(retry=RetryPolicy(attempts=2, base_delay=0.0, sleep=record))
    assert code == 2
    assert "IMatch is not running" in summary["problem"]
    assert len(waits) == 3, waits  # IMatch's three short retries, none of them real
    assert all(wait > 0 for wait in waits), waits
