"""The session façade both front ends drive: one loop that prepares every platform with
the shared IMatch read, one reconnect, one owner that closes the platforms."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sync.session
from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from sync.retry import RetryPolicy
from sync.session import SyncSession
from tests.sync_checks import NO_RATE_LIMITS, PLATFORMS, sync_once
from tui.backend import SessionThread


async def _no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxWorld]:
    library = tmp_path / "library"
    generate_library(library, 6, cases=False, posted_share=0.5, seed=7)
    with sandbox_world(library) as world:
        world.configure_home(tmp_path / "home", NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        yield world


@pytest.fixture
def closes(monkeypatch: pytest.MonkeyPatch) -> Counter[int]:
    """How often each adapter the session opened was closed (by adapter id)."""
    counted: Counter[int] = Counter()
    opened = sync.session.open_platform

    def counting(*args: Any, **kwargs: Any) -> Any:
        adapter = opened(*args, **kwargs)
        close = adapter.close

        async def close_counted() -> None:
            counted[id(adapter)] += 1
            await close()

        adapter.close = close_counted  # type: ignore[method-assign]
        counted[id(adapter)] += 0
        return adapter

    monkeypatch.setattr(sync.session, "open_platform", counting)
    return counted


def test_reconnect_keeps_the_limiter_and_each_adapter_is_closed_once(
    world: SandboxWorld, closes: Counter[int]
) -> None:
    backend = SessionThread(lambda: SyncSession(retry=RetryPolicy(base_delay=0, sleep=_no_sleep)))

    async def drive() -> tuple[Any, Any]:
        session = await backend.open()
        await backend.prepare_all(session.taking_part())
        before = session.platforms[PLATFORMS[0]].limiter
        await backend.reconnect(PLATFORMS[0])
        return before, session.platforms[PLATFORMS[0]].limiter

    try:
        before, after = asyncio.run(drive())
    finally:
        backend.stop()
    assert before is not None
    assert after is before
    assert len(closes) == len(PLATFORMS) + 1  # one adapter more: the reconnect's
    assert set(closes.values()) == {1}, closes


def test_both_front_ends_prepare_through_the_facade(
    world: SandboxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, ...]] = []
    reused: list[bool] = []
    prepare_all = SyncSession.prepare_all
    prepare = SyncSession.prepare

    async def recording_all(self: SyncSession, names: Any = None, **kwargs: Any) -> Any:
        calls.append(tuple(names or ()))
        return await prepare_all(self, names, **kwargs)

    async def recording(self: SyncSession, name: str, reuse: Any = None, *a: Any) -> Any:
        reused.append(reuse is not None)
        return await prepare(self, name, reuse, *a)

    monkeypatch.setattr(SyncSession, "prepare_all", recording_all)
    monkeypatch.setattr(SyncSession, "prepare", recording)
    code, _ = sync_once(dry_run=True)
    assert code == 0
    assert len(calls) == 1
    # Each platform after the first reads from IMatch only what the ones before did not.
    assert reused == [False] + [True] * (len(PLATFORMS) - 1)


def test_a_session_has_large_buffers_returned_before_it_reads(
    world: SandboxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The IMatch answers a scan parses are freed back to the system (sync/allocator.py)."""
    calls: list[str] = []
    monkeypatch.setattr(sync.session, "return_large_buffers", lambda: calls.append("set") or True)

    async def open_and_close() -> None:
        async with SyncSession():
            assert calls == ["set"]

    asyncio.run(open_and_close())
