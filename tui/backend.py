"""The sync session on its own thread and event loop, so the UI never waits on it.

Planning 10,000 photos is seconds of parsing, classifying and rendering. Running it on
Textual's loop would freeze the screen, so the `SyncSession` lives on a private loop in a
daemon thread; workers await its coroutines through `submit()`, and the engine's events
reach the widgets as messages (`post_message` is thread-safe).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Iterable
from concurrent.futures import Future
from contextlib import suppress
from typing import Any, TypeVar

from sync.events import Listener, RunSummary
from sync.plan import PlanItem, ScanProgress
from sync.plan_snapshot import PlanSnapshot
from sync.retry import RetryPolicy
from sync.session import PlatformState, SetupProblem, SyncSession

T = TypeVar("T")
SessionFactory = Callable[[], SyncSession]


def default_session() -> SyncSession:
    """The session for the configured IMatch (settings read from `config.toml`)."""
    return SyncSession(retry=RetryPolicy())


class SessionThread:
    """Owns one `SyncSession` and the event loop it runs on."""

    def __init__(self, factory: SessionFactory = default_session) -> None:
        self._factory = factory
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="imatch-socials-session", daemon=True
        )
        self._thread.start()
        self.session: SyncSession | None = None

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> asyncio.Future[T]:
        """Run `coroutine` on the session's loop; await the result from any loop."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return asyncio.wrap_future(future)

    def new_cancel_event(self) -> CancelSwitch:
        return CancelSwitch(self._loop)

    async def open(self) -> SyncSession:
        """A fresh session connected to IMatch (raises IMatchError, ConfigError)."""
        await self.close_session()

        async def opening() -> SyncSession:
            session = self._factory()
            try:
                await session.open()
            except BaseException:
                await session.close()
                raise
            return session

        self.session = await self.submit(opening())
        return self.session

    def _require(self) -> SyncSession:
        if self.session is None:
            raise RuntimeError("the session is not open")
        return self.session

    async def prepare_all(
        self,
        names: Iterable[str],
        progress: Callable[[str], ScanProgress | None] | None = None,
        read: Callable[[str], Callable[[PlanSnapshot], None] | None] | None = None,
        prepared: Callable[[PlatformState], None] | None = None,
        failed: Callable[[str, SetupProblem], None] | None = None,
    ) -> dict[str, PlatformState]:
        """Every platform planned by the session (see `SyncSession.prepare_all`); the
        listeners are called on the session's thread (post messages from them)."""
        return await self.submit(
            self._require().prepare_all(
                list(names), progress=progress, read=read, prepared=prepared, failed=failed
            )
        )

    async def snapshots(self, names: Iterable[str]) -> dict[str, PlanSnapshot]:
        """The platforms' last plans as stored (those that have one)."""
        session = self._require()
        wanted = list(names)

        async def reading() -> dict[str, PlanSnapshot]:
            found = {name: session.snapshot(name) for name in wanted}
            return {name: snapshot for name, snapshot in found.items() if snapshot is not None}

        return await self.submit(reading())

    async def reconnect(self, name: str) -> PlatformState:
        """Log in again (after a new token) and plan the platform from scratch."""
        return await self.submit(self._require().reconnect(name))

    async def baseline(self, name: str) -> int:
        return await self.submit(self._require().baseline(name))

    async def rescan(self, name: str, progress: ScanProgress | None = None) -> PlatformState:
        return await self.submit(self._require().rescan(name, progress))

    async def run(
        self,
        name: str,
        items: Iterable[PlanItem],
        emit: Listener,
        cancel: CancelSwitch,
        repost: bool = False,
    ) -> RunSummary:
        session = self._require()
        chosen = list(items)

        async def running() -> RunSummary:
            return await session.run(name, chosen, emit=emit, cancel=cancel.event, repost=repost)

        return await self.submit(running())

    def lock_holder(self) -> str:
        """Which other run holds the run lock ("" when a run could start now). Safe from
        any thread; it takes the lock for a moment only."""
        session = self.session
        return session.lock_holder() if session is not None else ""

    async def close_session(self) -> None:
        if self.session is not None:
            session, self.session = self.session, None
            await self.submit(session.close())

    def stop(self, timeout: float = 5.0) -> None:
        """Close the session and stop the thread (call once, from any thread but this one)."""
        if self.session is not None:
            session, self.session = self.session, None
            # Closing is best effort on the way out: the journal is safe either way.
            with suppress(Exception):
                asyncio.run_coroutine_threadsafe(session.close(), self._loop).result(timeout)
        # Work still under way (a session still connecting when the app quits) is ended
        # here, not left to be collected after its loop has gone.
        with suppress(Exception):
            asyncio.run_coroutine_threadsafe(_cancel_the_rest(), self._loop).result(timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._loop.close()


async def _cancel_the_rest() -> None:
    current = asyncio.current_task()
    rest = [task for task in asyncio.all_tasks() if task is not current]
    for task in rest:
        task.cancel()
    await asyncio.gather(*rest, return_exceptions=True)


class CancelSwitch:
    """An `asyncio.Event` on the session's loop that the UI thread can set."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.event = asyncio.Event()
        self.requested = False

    def set(self) -> None:
        self.requested = True
        self._loop.call_soon_threadsafe(self.event.set)
