"""One working session: IMatch, the enabled platforms, their plans and runs.

Both front ends (the headless command and the TUI) use this and nothing below it:
`open()` connects to IMatch and reads credentials once; `prepare_all()` logs in to the
platforms and plans them one after the other, each reading from IMatch only the files
the ones before it did not (`prepare(name)` does one: log in, finish what an interrupted
run left open, plan); `run()` executes any part of a plan (`chosen_items` picks it);
`rescan(name)` plans again from fresh IMatch data; `reconnect(name)` logs in again. The
session owns the platforms it opens and alone closes them.

One run at a time: reconciling and running hold the state folder's run lock
(`sync.run_lock`). Without it a session still shows and plans: `prepare` then leaves
reconciliation to the run, and `run` raises `RunInProgress` naming the other run.
A dry run plans from a copy of the journal and state store, exactly as a real run would.
"""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from imatch.client import IMatchClient
from imatch.library import Publication
from imatch.models import AppVariables
from sync import paths
from sync.allocator import return_large_buffers
from sync.call_history import load_calls, save_calls
from sync.checks import Check
from sync.config import Credentials, Settings, app_variable_names, credentials, load_settings
from sync.connect import SetupError, open_platform
from sync.events import Listener, RunSummary, Waiting
from sync.found_errors import UNCONFIRMED, hold_refused_adds, hold_unconfirmed_adds
from sync.journal import Journal
from sync.pending_groups import PendingGroups, left_pending_warnings
from sync.plan import (
    Plan,
    PlanItem,
    ScanProgress,
    is_posted,
    moved_state_keys,
    previous_of,
    published_now,
    read_plan,
)
from sync.plan_snapshot import PlanSnapshot, provisional_rows
from sync.platforms import registry
from sync.platforms.base import (
    LOOPBACK_HOSTS,
    Account,
    Limits,
    Platform,
    PlatformError,
    RateLimiter,
    pace_words,
)
from sync.platforms.registry import DoctorContext
from sync.reconcile import Reconciliation
from sync.retry import RetryPolicy, retrying
from sync.rules import Action
from sync.run_lock import RunInProgress, RunLock
from sync.secret_store import SecretStore
from sync.setup_problems import (
    SETUP_ERRORS,
    ProblemKind,
    SetupProblem,
    platform_problem,
    problem_of,
    unexpected,
)

if TYPE_CHECKING:
    from sync.engine import Engine

__all__ = [
    "SETUP_ERRORS",
    "UNCONFIRMED",
    "PlatformState",
    "ProblemKind",
    "RunInProgress",
    "SetupProblem",
    "SyncSession",
    "chosen_items",
    "hold_unconfirmed_adds",
    "imatch_location_warning",
    "problem_of",
    "unexpected",
]


@dataclass
class PlatformState:
    """What the session knows about one platform."""

    name: str
    platform: Platform[Any] | None = None
    limiter: RateLimiter | None = None
    account: Account | None = None
    limits: Limits | None = None
    setup: SetupProblem | None = None
    """Why it cannot run (missing login, refused token...), with the remedy; None when
    it can."""
    plan: Plan | None = None
    reconciliation: Reconciliation = field(default_factory=Reconciliation)
    """What finishing an interrupted run did, not yet reported in a run's summary."""
    locked: str = ""
    """Why interrupted work was not finished while preparing (another run in progress)."""
    pace: str = ""
    """The limits a run keeps to, in words (photos at a time, calls, the platform's own)."""
    warnings: list[str] = field(default_factory=list)

    @property
    def problem(self) -> str:
        """Why it cannot run, in words; empty when it can."""
        return self.setup.message if self.setup is not None else ""

    @property
    def ready(self) -> bool:
        return self.platform is not None and self.setup is None


def chosen_items(
    plan: Plan, actions: Collection[Action] | None, file_ids: Collection[int] = ()
) -> list[PlanItem]:
    """What a run key acts on: the chosen photos in `actions`, else the whole bucket.
    `actions` None is everything to do; chosen photos then include changed ones whatever
    `detect_changes` says (the user picked them), a bucket only with `publish`."""
    if file_ids and actions is None:
        actions = set(Action) - {Action.UNCHANGED}
    return plan.select(file_ids or None, actions)


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
            sleep=self.retry.sleep,  # every wait of a run goes through its policy
        )
        self.credentials = Credentials()
        self.variables: AppVariables | None = None
        """The application variables as read by `open` (for the doctor's checks)."""
        self.warnings = [w for w in (imatch_location_warning(imatch.url),) if w]
        """Session-wide warnings for the front ends to show (e.g. a remote IMatch)."""
        self.journal: Journal | None = None
        self.platforms: dict[str, PlatformState] = {}
        self.run_lock = RunLock(paths.state_dir())
        """One run at a time across processes (not taken by a dry run)."""

    async def __aenter__(self) -> SyncSession:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def open(self) -> None:
        """Connect to IMatch and read the credentials (raises IMatchError)."""
        return_large_buffers()  # before the scan's large answers
        variables = await self.client.app_variables(app_variable_names())
        self.variables = variables
        self.credentials = credentials(variables, self.settings)
        # A dry run plans from a copy, so it plans exactly as a real run and changes nothing.
        self.journal = Journal.snapshot() if self.dry_run else Journal()

    def taking_part(self) -> tuple[str, ...]:
        """The enabled platforms, less those that take part only once their credentials
        exist and have none yet (read by `open`)."""
        names = []
        for name in self.settings.enabled_platforms:
            spec = registry.spec(name)
            if spec.listed_without_credentials or spec.has_credentials(self.credentials.of(name)):
                names.append(name)
        return tuple(names)

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
        # The same limiter across reconnects: the platform counts calls, not logins.
        state.limiter = (previous.limiter if previous else None) or RateLimiter(
            rate_per_hour=self.settings.platform(name).rate_per_hour,
            clock=self.retry.clock,
            sleep=self.retry.sleep,
        )
        try:
            state.platform = open_platform(
                name, self.settings, self.credentials, self.store, state.limiter
            )
            platform = state.platform
            own = self.settings.platform(name)
            state.pace = pace_words(own.concurrency, own.rate_per_hour, platform.own_limits)
            # A 502 at login must not stop the platform for the whole run.
            state.account = await retrying(self.retry, platform.connect)
            state.limits = await retrying(self.retry, platform.limits)
        except (SetupError, PlatformError, ValueError) as error:
            state.setup = platform_problem(name, error, self._variable_checks(name))
        return state

    def _variable_checks(self, name: str) -> list[Check]:
        """The doctor's checks of the platform's application variables (none before open)."""
        if self.variables is None:
            return []
        context = DoctorContext(
            self.variables, self.credentials.of(name), self.settings.platform(name), os.environ
        )
        return registry.spec(name).variable_checks(context)

    async def reconnect(self, name: str) -> PlatformState:
        """Log in again (after a new token) and plan the platform from scratch. The old
        adapter is closed here, once; the rate limiter is kept (the platform counts calls,
        not logins)."""
        await self.connect(name)
        return await self.prepare(name)

    async def prepare_all(
        self,
        names: Sequence[str] | None = None,
        *,
        plan_unconnected: bool = True,
        progress: Callable[[str], ScanProgress | None] | None = None,
        read: Callable[[str], Callable[[PlanSnapshot], None] | None] | None = None,
        prepared: Callable[[PlatformState], None] | None = None,
        failed: Callable[[str, SetupProblem], None] | None = None,
    ) -> dict[str, PlatformState]:
        """Log in to the platforms side by side, then plan them one after the other, so
        each reads from IMatch only the files the ones before it did not (and the first
        is ready sooner than if they shared the time).

        `names`: default, the platforms taking part. `plan_unconnected`: False leaves a
        platform that cannot log in unplanned (its state has `setup`, no plan).
        `progress(name)` and `read(name)` give each platform's listeners (see `prepare`).
        `prepared(state)` hears each platform as soon as it is planned. `failed`: when
        given, a platform whose planning fails for a reason set-up explains (IMatch gone,
        the state folder) is handed to it and the next goes on; without, that is raised."""
        wanted = list(self.taking_part() if names is None else names)
        await asyncio.gather(*(self.connect(n) for n in wanted if n not in self.platforms))
        done: dict[str, PlatformState] = {}
        # The last read, whole, for the next platform to reuse; the plans keep only its
        # outline, so the files as IMatch sent them go once the last platform is planned.
        shared: Publication | None = None
        for name in wanted:
            state = self.platforms[name]
            if state.setup is None or plan_unconnected:
                heard: list[Publication] = []
                try:
                    state = await self.prepare(
                        name,
                        shared,
                        progress(name) if progress is not None else None,
                        read(name) if read is not None else None,
                        # The last platform lets the read go once its photos are built.
                        heard.append if name != wanted[-1] else None,
                    )
                except SETUP_ERRORS as error:
                    if failed is None:
                        raise
                    failed(name, problem_of(error, name, self.settings))
                    continue
                if heard and heard[0].exists:
                    shared = heard[0]
                del heard
            done[name] = state
            if prepared is not None:
                prepared(state)
        return done

    def release(self, name: str) -> None:
        """Forget the platform's plan once nothing needs it any more (a dry run's, once it
        is listed; a run's, once its summary is given): its photos and items are most of
        what a session holds. `prepare` or `rescan` makes a new one."""
        state = self.platforms.get(name)
        if state is not None:
            state.plan = None

    async def prepare(
        self,
        name: str,
        reuse: Publication | None = None,
        progress: ScanProgress | None = None,
        read: Callable[[PlanSnapshot], None] | None = None,
        heard: Callable[[Publication], None] | None = None,
    ) -> PlatformState:
        """Connect, finish interrupted work (not in a dry run) and plan one platform.

        `reuse`: the publication another platform prepared moments ago in the same scan;
        the files both hold are then read from IMatch once (see `read_publication`).
        `progress` hears how reading and planning advance; `read` gets the photos' rows
        as read from IMatch, without actions, before they are planned (to show at once).
        `heard` gets the whole read, for the next platform to reuse: the plan keeps only
        its outline (`Publication.outline`). Without `heard` nothing reuses this read,
        nor `reuse`, afterwards: both are let go once the photos are built."""
        state = self.platforms.get(name) or await self.connect(name)
        state.plan = await self._plan(
            name, state, reuse, progress, hold_back=False, read=read, heard=heard
        )
        if state.ready and not self.dry_run and state.plan.publication.exists:
            try:
                with self.run_lock.hold():
                    await self._reconcile(state, state.plan)
                state.locked = ""
            except RunInProgress as busy:
                state.locked = str(busy)  # the run will reconcile once the lock is free
        self._hold_back(name, state.plan)
        self._keep_snapshot(state.plan)
        return state

    async def rescan(self, name: str, progress: ScanProgress | None = None) -> PlatformState:
        state = self.platforms[name]
        state.plan = await self._plan(name, state, progress=progress)
        self._keep_snapshot(state.plan)
        return state

    def snapshot(self, name: str) -> PlanSnapshot | None:
        """The platform's last plan as its table showed it (None when there is none): shown
        at start while the plan is made again; never acted on."""
        if self.journal is None:
            return None
        try:
            return self.journal.snapshots.load(name)
        except sqlite3.Error:  # only a head start: without it the plan comes a little later
            return None

    def _keep_snapshot(self, plan: Plan) -> None:
        if self.journal is None or self.dry_run or not plan.publication.exists:
            return
        with suppress(sqlite3.Error):  # the next start is slower, nothing else
            self.journal.snapshots.save(plan)

    async def _reconcile(self, state: PlatformState, plan: Plan) -> None:
        engine = self._engine(state, plan)
        state.reconciliation.merge(await engine.reconcile())

    def lock_holder(self) -> str:
        """ "" when a run could start now; otherwise which run is in progress."""
        return "" if self.dry_run else self.run_lock.busy()

    async def _plan(
        self,
        name: str,
        state: PlatformState,
        reuse: Publication | None = None,
        progress: ScanProgress | None = None,
        hold_back: bool = True,
        read: Callable[[PlanSnapshot], None] | None = None,
        heard: Callable[[Publication], None] | None = None,
    ) -> Plan:
        """`read` gets the rows as read (see `prepare`), `heard` the whole read."""
        published = self.journal.store.published(name) if self.journal is not None else {}

        def tell(publication: Publication) -> None:
            if heard is not None:
                heard(publication)
            if read is not None and publication.exists:
                rows = functools.partial(provisional_rows, publication)  # made if its tab is shown
                read(PlanSnapshot(name, time.time(), rows, True))

        plan = await read_plan(
            self.client,
            name,
            self.settings,
            self.credentials,
            state.limits,
            reuse,
            progress,
            published,
            tell if read is not None or heard is not None else None,
            last_read=heard is None,
        )
        if self.journal is not None and self.journal.store.baseline_time(name) is not None:
            plan.baseline_missing = False
        if self.journal is not None:
            state.warnings = left_pending_warnings(self.journal.store, name)
        if hold_back:
            self._hold_back(name, plan)
        return plan

    def _hold_back(self, name: str, plan: Plan) -> None:
        """What the journal and state store hold back, the same in a dry run: uploads the
        platform refused (until the photo changes) and uploads that may already exist."""
        if self.journal is not None:
            hold_refused_adds(plan, self.journal.store.runtime_errors(name))
            hold_unconfirmed_adds(plan, self.journal.unfinished(name))

    def _engine(
        self,
        state: PlatformState,
        plan: Plan,
        emit: Listener | None = None,
        platform: Platform[Any] | None = None,
        repost: bool = False,
    ) -> Engine:
        from sync.engine import Engine  # only to reconcile or run: a dry run needs none

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
            repost=repost,
        )

    async def run(
        self,
        name: str,
        items: Iterable[PlanItem] | None = None,
        emit: Listener | None = None,
        cancel: asyncio.Event | None = None,
        repost: bool = False,
    ) -> RunSummary:
        """Run part of the platform's plan (default: everything to do), holding the run
        lock from reconciliation to the last write-back. Raises RunInProgress when
        another run holds it. `repost`: changed files on a platform that cannot replace
        images are deleted and added again (the user confirmed it, or asked by flag)."""
        state = self.platforms[name]
        if not state.ready or state.plan is None:
            raise SetupError(state.problem or f"{name} is not prepared")
        if self.dry_run:
            raise SetupError("a dry run changes nothing")
        plan = state.plan
        chosen = list(plan.select() if items is None else items)
        assert self.journal is not None
        assert state.platform is not None
        listener = None
        if state.limiter is not None and emit is not None:

            def listener(wait: float) -> None:
                emit(Waiting(name, wait, "rate limit"))

            state.limiter.listeners.append(listener)
        try:
            with self.run_lock.hold(), self._call_history(name, state.limiter):
                state.locked = ""
                # What an earlier run (or this session's last one) left open is finished
                # first: its uploads are recorded, so they are never made a second time.
                await self._reconcile(state, plan)
                # Group adds earlier runs left pending are tried first; this run's are
                # remembered.
                pending = PendingGroups(self.journal.store, name, plan, self.retry)
                watched = await pending.start(state.platform)
                engine = self._engine(state, plan, emit, watched, repost)
                summary = await engine.run(chosen, cancel)
        finally:
            if state.limiter is not None and listener is not None:
                state.limiter.listeners.remove(listener)
        pending.finish(summary)
        self._report_reconciliation(state, summary)
        # What rendering had to leave out (e.g. an album category without an id).
        summary.warnings[:0] = [
            f"{item.photo.name}: {warning}" for item in chosen for warning in item.rendered.warnings
        ]
        return summary

    @contextmanager
    def _call_history(self, name: str, limiter: RateLimiter | None) -> Iterator[None]:
        """The platform's calls of earlier runs (other processes too) count in this run's
        window; what the window holds at the end is kept for the next run."""
        if limiter is None:
            yield
            return
        folder = self.run_lock.folder
        limiter.count_earlier_calls(load_calls(folder, name))
        try:
            yield
        finally:
            save_calls(folder, name, limiter.calls_in_window())

    async def baseline(self, name: str, progress: ScanProgress | None = None) -> int:
        """Record the current rendering of every posted photo that has no record of what
        was published on `name` as what is published there, the starting point of change
        detection (a photo a run or an earlier baseline recorded keeps its record, so a
        change not yet published stays `changed`). IMatch is read; the platform is not
        asked anything (no login, no call). Holds the run lock while writing (raises
        RunInProgress). Returns how many photos were recorded."""
        if self.journal is None or self.dry_run:
            raise SetupError("a dry run records no baseline")
        plan = await read_plan(
            self.client, name, self.settings, self.credentials, None, progress=progress
        )
        if not plan.publication.exists:
            raise SetupError(f"IMatch has no category {plan.publication.root}")
        with self.run_lock.hold():
            known = self.journal.store.published(name)
            chosen = [
                item
                for item in plan.items
                if is_posted(item) and previous_of(item.photo, known) is None
            ]
            posted = {item.file_id: published_now(item, "baseline") for item in chosen}
            moved = [key for item in chosen for key in moved_state_keys(item.photo)]
            self.journal.store.remember_many_published(name, posted, moved)
            self.journal.store.record_baseline(name, len(posted))
        return len(posted)

    @staticmethod
    def _report_reconciliation(state: PlatformState, summary: RunSummary) -> None:
        """What reconciliation did goes into the run's summary, once."""
        done, state.reconciliation = state.reconciliation, Reconciliation()
        summary.adopted += done.adopted
        summary.completed += done.completed
        summary.gone[:0] = done.gone
        summary.warnings[:0] = done.problems + done.warnings
