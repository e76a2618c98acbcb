"""A stand-in for `SyncSession` in TUI tests that only look: no server, no network.

`capture()` plans the sample library once per test process through the real session
against the sandbox (so the plans, accounts and limits are exactly what the TUI shows
against the simulators), then stops the simulators. Each `FakeSession` hands out
copies of those states. It refuses to run, rescan or reconnect: a test that does any
of that belongs on the real simulators (the `world` fixture).
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox.imatch_db import IMatchDatabase
from sandbox.world import sandbox_world
from sync.config import Credentials, Settings
from sync.events import Listener, RunSummary
from sync.plan import PlanItem, ScanProgress
from sync.retry import RetryPolicy
from sync.secret_store import SecretStore
from sync.session import PlatformState, SyncSession

FLAGS = ("_update", "_metadata", "_delete")


class UIOnly(AssertionError):
    """A test on the fake session reached for something only the simulators can do."""


REFUSED: list[str] = []
"""What fake sessions refused in this process: the TUI turns an error in a worker into a
message on screen, so `UIOnly` alone would not fail the test; tests/tui/conftest.py
checks that this stays empty."""


def _refuse(what: str) -> UIOnly:
    REFUSED.append(what)
    return UIOnly(what)


class OfflinePlatform:
    """What a captured state holds as its platform: there, so the tab can run, but any
    call to it fails the test (nothing behind it answers)."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def close(self) -> None:
        return None


@dataclass(frozen=True)
class Captured:
    """What one real session saw of the sandbox: settings, credentials and each platform."""

    home: Path
    """The IMATCH_SOCIALS_HOME the states were planned with (config and flickr login)."""
    settings: Settings
    credentials: Credentials
    states: dict[str, PlatformState]
    candidates: dict[str, int]
    """Photos the library has for each platform (direct members and flagged files), counted
    in the simulator's database, not in the plans."""


async def _no_sleep(seconds: float) -> None:
    return None


def capture(home: Path, monkeypatch: pytest.MonkeyPatch, library: Path) -> Captured:
    """Plan every enabled platform once through the real session, then stop the sandbox."""
    from tests.sync_checks import NO_RATE_LIMITS

    with sandbox_world(library) as world:
        world.configure_home(home, NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(home))

        async def plan_all() -> Captured:
            async with SyncSession(retry=RetryPolicy(base_delay=0, sleep=_no_sleep)) as session:
                states = {}
                for name in session.settings.enabled_platforms:
                    state = await session.prepare(name)
                    states[name] = _offline(state)
                return Captured(
                    home,
                    session.settings,
                    session.credentials,
                    states,
                    {name: candidates(world.imatch.db, name) for name in states},
                )

        return asyncio.run(plan_all())


def candidates(db: IMatchDatabase, platform: str) -> int:
    """Photos the library has for `platform`: direct members and flagged files."""
    paths = [f"Socials|{platform}", *(f"Socials|{platform}|{f}" for f in FLAGS)]
    return len({file_id for path in paths for file_id in db.direct_files(path)})


def _offline(state: PlatformState) -> PlatformState:
    platform = OfflinePlatform(state.name) if state.platform is not None else None
    return dataclasses.replace(state, platform=platform, limiter=None)  # type: ignore[arg-type]


class FakeSession:
    """Duck-types the parts of `SyncSession` the TUI uses, from a `Captured`."""

    def __init__(self, captured: Captured, warnings: Iterable[str] = ()) -> None:
        self.captured = captured
        self.settings = captured.settings
        self.credentials = captured.credentials
        self.warnings = list(warnings)
        self.store = SecretStore()
        self.platforms: dict[str, PlatformState] = {}
        self.connected: set[str] = set()

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def connect(self, name: str) -> PlatformState:
        """The captured state at the first login; logging in again is for the simulators."""
        if name in self.connected:
            raise _refuse(f"a UI-only test logged in to {name} again")
        self.connected.add(name)
        return await self.prepare(name)

    prepare_all = SyncSession.prepare_all
    """The real façade's loop, over this session's captured states."""

    def taking_part(self) -> tuple[str, ...]:
        """The platforms the real session planned (each gets its tab)."""
        return tuple(self.captured.states)

    def snapshot(self, name: str) -> None:
        """No plan stored from an earlier start: the tab waits for `prepare`."""
        return None

    async def prepare(
        self,
        name: str,
        reuse: Any = None,
        progress: ScanProgress | None = None,
        read: Any = None,
        heard: Any = None,
    ) -> PlatformState:
        # A copy per session: nothing a test does to one plan reaches the next test.
        captured = self.captured.states[name]
        state = dataclasses.replace(
            captured,
            plan=copy.deepcopy(captured.plan),
            reconciliation=copy.deepcopy(captured.reconciliation),
            warnings=list(captured.warnings),
        )
        self.platforms[name] = state
        return state

    async def rescan(self, name: str, progress: ScanProgress | None = None) -> PlatformState:
        raise _refuse(f"a UI-only test rescanned {name}: use the `world` fixture")

    async def run(
        self,
        name: str,
        items: Iterable[PlanItem] | None = None,
        emit: Listener | None = None,
        cancel: asyncio.Event | None = None,
        repost: bool = False,
    ) -> RunSummary:
        raise _refuse(f"a UI-only test ran {name}: use the `world` fixture")

    async def baseline(self, name: str, progress: ScanProgress | None = None) -> int:
        raise _refuse(f"a UI-only test recorded a baseline of {name}: use the `world` fixture")

    def lock_holder(self) -> str:
        return ""
