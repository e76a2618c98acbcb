"""One working session: IMatch, the enabled platforms, their plans and runs.

Both front ends (the headless command and the TUI) use this and nothing below it:
`open()` connects to IMatch and reads credentials once; `prepare(name)` logs in to a
platform, finishes what an interrupted run left open and plans; `run()` executes any
part of a plan; `rescan(name)` plans again from fresh IMatch data.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from imatch.client import IMatchClient
from sync.config import APP_VARIABLE_NAMES, Credentials, Settings, credentials, load_settings
from sync.connect import SetupError, open_platform
from sync.engine import Engine, RetryPolicy
from sync.events import Listener, RunSummary, Waiting
from sync.journal import Journal
from sync.plan import Plan, PlanItem, read_plan
from sync.platforms.base import Account, Limits, Platform, PlatformError, RateLimiter
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
            state.account = await state.platform.connect()
            state.limits = await state.platform.limits()
        except (SetupError, PlatformError, ValueError) as error:
            state.problem = str(error)
        return state

    async def prepare(self, name: str) -> PlatformState:
        """Connect, finish interrupted work (not in a dry run) and plan one platform."""
        state = self.platforms.get(name) or await self.connect(name)
        state.plan = await self._plan(name, state)
        if state.ready and self.journal is not None and state.platform is not None:
            engine = self._engine(state, state.plan)
            state.reconciled = await engine.reconcile()
            state.warnings += engine.summary.warnings
        return state

    async def rescan(self, name: str) -> PlatformState:
        state = self.platforms[name]
        state.plan = await self._plan(name, state)
        return state

    async def _plan(self, name: str, state: PlatformState) -> Plan:
        refused = self.journal.refused_adds(name) if self.journal else None
        return await read_plan(
            self.client, name, self.settings, self.credentials, state.limits, refused
        )

    def _engine(self, state: PlatformState, plan: Plan, emit: Listener | None = None) -> Engine:
        assert state.platform is not None
        assert self.journal is not None
        return Engine(
            client=self.client,
            journal=self.journal,
            platform=state.platform,
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
        engine = self._engine(state, state.plan, emit)
        listener = None
        if state.limiter is not None and emit is not None:

            def listener(wait: float) -> None:
                emit(Waiting(name, wait, "rate limit"))

            state.limiter.listeners.append(listener)
        try:
            return await engine.run(items, cancel)
        finally:
            if state.limiter is not None and listener is not None:
                state.limiter.listeners.remove(listener)
