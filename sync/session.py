"""One working session: IMatch, the enabled platforms, their plans and runs.

Both front ends (the headless command and the TUI) use this and nothing below it:
`open()` connects to IMatch and reads credentials once; `prepare(name)` logs in to a
platform, finishes what an interrupted run left open and plans; `run()` executes any
part of a plan; `rescan(name)` plans again from fresh IMatch data.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from imatch.client import IMatchClient
from imatch.library import Publication
from sync.config import APP_VARIABLE_NAMES, Credentials, Settings, credentials, load_settings
from sync.connect import SetupError, open_platform
from sync.engine import Engine, RetryPolicy, retrying
from sync.events import Listener, RunSummary, Waiting
from sync.journal import Journal
from sync.pending_groups import PendingGroups
from sync.plan import Plan, PlanItem, ScanProgress, read_plan
from sync.platforms.base import (
    Account,
    Limits,
    Platform,
    PlatformError,
    RateLimiter,
)
from sync.rules import Action, Verdict
from sync.secret_store import SecretStore


@dataclass
class PlatformState:
    """What the session knows about one platform."""

    name: str
    platform: Platform[Any] | None = None
    limiter: RateLimiter | None = None
    account: Account | None = None
    limits: Limits | None = None
    problem: str = ""
    """Why it cannot run (missing login, refused token...); empty when it can."""
    plan: Plan | None = None
    reconciled: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return self.platform is not None and not self.problem


UNCONFIRMED = "upload not confirmed"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def imatch_location_warning(url: str) -> str:
    """A warning when IMatch looks like another computer (its web service has no password).

    localhost (any spelling), 127.x, ::1 and this computer's own name are this computer.
    An address without http:// is a configuration mistake reported on its own, so it is
    read here as if it had one rather than called "another computer"."""
    import socket

    try:
        parsed = httpx.URL(url)
        if not parsed.host or parsed.scheme not in ("http", "https"):
            parsed = httpx.URL(f"http://{url}")
        host = parsed.host.lower().rstrip(".")
    except httpx.InvalidURL:
        return ""
    own_name = socket.gethostname().lower()  # no DNS: asking it can hang for seconds
    if (
        not host
        or host in LOOPBACK_HOSTS
        or host.endswith(".localhost")
        or host.startswith("127.")
        or host == own_name
        or host.split(".")[0] == own_name.split(".")[0]
    ):
        return ""
    return (
        f"IMatch at {url} looks like another computer: its web service has no password, so "
        "anyone who can reach it can read and change your database. Run imatch-socials "
        "on the IMatch computer (with the address http://127.0.0.1:50519), or make sure "
        "only you can reach that address."
    )


def hold_unconfirmed_adds(plan: Plan, open_intents: Iterable[Any]) -> None:
    """Never add a photo again while an earlier upload of it may exist: an add intent the
    reconciliation could not settle (the platform kept failing) holds the photo back, as
    the error `upload not confirmed`, until a later run finds out what happened."""
    pending = {i.file_id for i in open_intents if i.action == "add"}
    for index, item in enumerate(plan.items):
        if item.file_id in pending and item.action is Action.ADD:
            verdict = Verdict(Action.ERROR, (UNCONFIRMED,), "an earlier upload may exist")
            plan.items[index] = dataclasses.replace(item, verdict=verdict)


class SyncSession:
    """Use as `async with SyncSession() as session:`."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        dry_run: bool = False,
        retry: RetryPolicy | None = None,
        store: SecretStore | None = None,
    ) -> None:
        self.settings = settings or load_settings()
        self.dry_run = dry_run
        self.retry = retry or RetryPolicy()
        self.store = store or SecretStore()
        imatch = self.settings.imatch
        self.client = IMatchClient(
            imatch.url,
            user=imatch.user or None,
            timeout=imatch.timeout,
            chunk_size=imatch.chunk_size,
            max_in_flight=imatch.max_in_flight,
        )
        self.credentials = Credentials()
        self.warnings = [w for w in (imatch_location_warning(imatch.url),) if w]
        """Session-wide warnings for the front ends to show (e.g. a remote IMatch)."""
        self.journal: Journal | None = None
        self.platforms: dict[str, PlatformState] = {}

    async def __aenter__(self) -> SyncSession:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def open(self) -> None:
        """Connect to IMatch and read the credentials (raises IMatchError)."""
        variables = await self.client.app_variables(APP_VARIABLE_NAMES)
        self.credentials = credentials(variables, self.settings)
        if not self.dry_run:
            self.journal = Journal()

    async def close(self) -> None:
        for state in self.platforms.values():
            if state.platform is not None:
                await state.platform.close()
        await self.client.close()
        if self.journal is not None:
            self.journal.close()

    async def connect(self, name: str) -> PlatformState:
        """Log in to one platform; a problem is recorded, not raised."""
        previous = self.platforms.get(name)
        if previous is not None and previous.platform is not None:
            await previous.platform.close()
        state = PlatformState(name)
        self.platforms[name] = state
        state.limiter = RateLimiter(
            rate_per_hour=self.settings.platform(name).rate_per_hour,
            clock=self.retry.clock,
            sleep=self.retry.sleep,
        )
        try:
            state.platform = open_platform(
                name, self.settings, self.credentials, self.store, state.limiter
            )
            platform = state.platform
            # A 502 at login must not stop the platform for the whole run.
            state.account = await retrying(self.retry, platform.connect)
            state.limits = await retrying(self.retry, platform.limits)
        except (SetupError, PlatformError, ValueError) as error:
            state.problem = str(error)
        return state

    async def prepare(
        self, name: str, reuse: Publication | None = None, progress: ScanProgress | None = None
    ) -> PlatformState:
        """Connect, finish interrupted work (not in a dry run) and plan one platform.

        `reuse`: the publication another platform prepared moments ago in the same scan;
        the files both hold are then read from IMatch once (see `read_publication`).
        `progress` hears how reading and planning advance."""
        state = self.platforms.get(name) or await self.connect(name)
        state.plan = await self._plan(name, state, reuse, progress)
        if state.ready and self.journal is not None and state.platform is not None:
            engine = self._engine(state, state.plan)
            state.reconciled = await engine.reconcile()
            state.warnings += engine.summary.warnings
            hold_unconfirmed_adds(state.plan, self.journal.unfinished(name))
        return state

    async def rescan(self, name: str, progress: ScanProgress | None = None) -> PlatformState:
        state = self.platforms[name]
        state.plan = await self._plan(name, state, progress=progress)
        if self.journal is not None:
            hold_unconfirmed_adds(state.plan, self.journal.unfinished(name))
        return state

    async def _plan(
        self,
        name: str,
        state: PlatformState,
        reuse: Publication | None = None,
        progress: ScanProgress | None = None,
    ) -> Plan:
        refused = self.journal.refused_adds(name) if self.journal else None
        return await read_plan(
            self.client,
            name,
            self.settings,
            self.credentials,
            state.limits,
            refused,
            reuse,
            progress,
        )

    def _engine(
        self,
        state: PlatformState,
        plan: Plan,
        emit: Listener | None = None,
        platform: Platform[Any] | None = None,
    ) -> Engine:
        assert state.platform is not None
        assert self.journal is not None
        return Engine(
            client=self.client,
            journal=self.journal,
            platform=platform or state.platform,
            plan=plan,
            settings=self.settings,
            limits=state.limits,
            emit=emit,
            retry=self.retry,
        )

    async def run(
        self,
        name: str,
        items: Iterable[PlanItem] | None = None,
        emit: Listener | None = None,
        cancel: asyncio.Event | None = None,
    ) -> RunSummary:
        """Run part of the platform's plan (default: everything to do)."""
        state = self.platforms[name]
        if not state.ready or state.plan is None:
            raise SetupError(state.problem or f"{name} is not prepared")
        if self.dry_run:
            raise SetupError("a dry run changes nothing")
        chosen = list(state.plan.select() if items is None else items)
        assert self.journal is not None
        assert state.platform is not None
        # Group adds earlier runs left pending are tried first; this run's are remembered.
        pending = PendingGroups(self.journal.store, name, state.plan, self.retry)
        engine = self._engine(state, state.plan, emit, await pending.start(state.platform))
        listener = None
        if state.limiter is not None and emit is not None:

            def listener(wait: float) -> None:
                emit(Waiting(name, wait, "rate limit"))

            state.limiter.listeners.append(listener)
        try:
            summary = await engine.run(chosen, cancel)
        finally:
            if state.limiter is not None and listener is not None:
                state.limiter.listeners.remove(listener)
        pending.finish(summary)
        # What rendering had to leave out (e.g. an album category without an id).
        summary.warnings[:0] = [
            f"{item.photo.name}: {warning}" for item in chosen for warning in item.rendered.warnings
        ]
        return summary
