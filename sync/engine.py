"""Executes a plan, or any part of it, against one platform.

Every remote mutation is wrapped in a journal intent; IMatch is updated right after each
success (batched with whatever else is ready); transient failures are retried with
backoff and jitter, honouring the platform's Retry-After; an answer lost after a change
is resolved by looking for the change before trying again. At the end the platform's
`__errors|<name>` categories are made exactly equal to the photos' current errors.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from imatch.client import IMatchClient
from imatch.errors import IMatchError
from sync.config import Settings
from sync.events import (
    Listener,
    PhotoDone,
    PhotoFailed,
    PhotoStarted,
    PlatformStopped,
    Progress,
    RunFinished,
    RunSummary,
    Waiting,
)
from sync.journal import Intent, Journal, State
from sync.photo import FLAG_DELETE, FLAG_METADATA, FLAG_UPDATE, Photo
from sync.plan import Plan, PlanItem, checks_for, replaces_images, with_photo
from sync.platforms.base import (
    AmbiguousError,
    AuthError,
    Limits,
    Outcome,
    PermanentError,
    Platform,
    PlatformError,
    RateLimited,
    RemoteRef,
    TransientError,
)
from sync.rules import Action
from sync.writeback import WriteBack

T = TypeVar("T")
ADOPTED = "found again after an interrupted run"


class _NotStarted(Exception):
    """The run was cancelled or the platform stopped before this photo's turn."""


@dataclass
class RetryPolicy:
    """How long to keep trying, and the clock and sleep every wait uses (tests fake them)."""

    attempts: int = 5
    base_delay: float = 1.0
    max_delay: float = 120.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    clock: Callable[[], float] = time.monotonic


async def retrying(
    policy: RetryPolicy,
    attempt: Callable[[], Awaitable[T]],
    recover: Callable[[], Awaitable[T | None]] | None = None,
    announce: Callable[[float, str], None] | None = None,
) -> T:
    """Call `attempt` until it succeeds, retrying transient failures with back-off and
    jitter, and waiting exactly as long as a platform's Retry-After asks.

    After an ambiguous failure the change may have happened: `recover` looks for it,
    and the change is only attempted again once `recover` has answered "not there".
    A failing look is itself retried; it never leads to a blind second attempt.
    `announce(seconds, reason)` hears about every wait (`rate limit` or `retry`).
    """
    delay = policy.base_delay
    unresolved = False
    for number in range(policy.attempts):
        last = number == policy.attempts - 1
        try:
            if unresolved and recover is not None:
                found = await recover()
                if found is not None:
                    return found
                unresolved = False
            return await attempt()
        except RateLimited as error:
            if last:
                raise
            wait, reason = (
                (error.retry_after if error.retry_after is not None else delay),
                "rate limit",
            )
        except AmbiguousError:
            if last:
                raise
            unresolved = True
            wait, reason = delay * (0.5 + random.random()), "retry"
        except TransientError:
            if last:
                raise
            wait, reason = delay * (0.5 + random.random()), "retry"
        if announce is not None:
            announce(wait, reason)
        await policy.sleep(min(wait, policy.max_delay))
        delay = min(delay * 2, policy.max_delay)
    raise AssertionError("unreachable")


class Engine:
    """Runs one platform's plan. Create one per run."""

    def __init__(
        self,
        *,
        client: IMatchClient,
        journal: Journal,
        platform: Platform[Any],
        plan: Plan,
        settings: Settings,
        limits: Limits | None = None,
        emit: Listener | None = None,
        retry: RetryPolicy | None = None,
        concurrency: int | None = None,
        today: Callable[[], str] = lambda: date.today().isoformat(),
    ) -> None:
        self.client = client
        self.journal = journal
        self.platform = platform
        self.plan = plan
        self.settings = settings
        self.checks = checks_for(plan.platform, settings, limits)
        self.replaces_images = replaces_images(plan.platform, limits)
        self.emit: Listener = emit or (lambda event: None)
        self.retry = retry or RetryPolicy()
        own = settings.platform(plan.platform)
        self._slots = asyncio.Semaphore(max(1, concurrency or own.concurrency))
        self.today = today
        self.summary = RunSummary(plan.platform)
        self._failed_errors: dict[int, set[str]] = {}
        self._stopped = ""
        self._writeback = WriteBack(client, plan.platform)
        layout = plan.publication.layout
        self.root = plan.publication.root
        self.flag_paths = {
            FLAG_UPDATE: f"{self.root}|{layout.update}",
            FLAG_METADATA: f"{self.root}|{layout.metadata}",
            FLAG_DELETE: f"{self.root}|{layout.delete}",
        }
        self.errors_root = f"{self.root}|{layout.errors}"

    @property
    def name(self) -> str:
        return self.plan.platform

    # --- running ------------------------------------------------------------------------

    async def run(
        self, items: Iterable[PlanItem] | None = None, cancel: asyncio.Event | None = None
    ) -> RunSummary:
        """Run the chosen items (default: everything there is to do) and report."""
        chosen = list(self.plan.select() if items is None else items)
        cancel = cancel or asyncio.Event()
        done = 0

        async def one(item: PlanItem) -> None:
            nonlocal done
            await self._one(item, cancel)
            done += 1
            self.emit(Progress(self.name, done, len(chosen)))

        await asyncio.gather(*(one(item) for item in chosen))
        self.summary.cancelled = cancel.is_set()
        try:
            await self._sync_error_categories()
        except IMatchError as error:
            self.summary.warnings.append(f"error categories not updated: {error}")
        self._count_plan()
        self.emit(RunFinished(self.name, self.summary))
        return self.summary

    async def _one(self, item: PlanItem, cancel: asyncio.Event) -> None:
        if item.action is Action.ERROR or item.action is Action.UNCHANGED:
            return
        photo = item.photo
        try:
            outcome = await self._perform(item, cancel)
        except _NotStarted:
            self.summary.skipped += 1
        except PermanentError as error:
            self._failed_errors.setdefault(photo.id, set()).add(error.error_name)
            self._fail(item, str(error), error.error_name)
        except AuthError as error:
            self._fail(item, str(error))
            if not self._stopped:
                self._stopped = str(error)
                self.summary.stopped = str(error)
                self.emit(PlatformStopped(self.name, str(error)))
        except (PlatformError, IMatchError) as error:
            self._fail(item, str(error))
        else:
            url = outcome.ref.url if outcome else ""
            warnings = outcome.warnings if outcome else ()
            self.summary.warnings += [f"{photo.name}: {w}" for w in warnings]
            # What was done: an update that could not replace the image updated the text.
            done = item.action.value
            if item.action is Action.UPDATE and not self.replaces_images:
                done = Action.METADATA.value
            self.emit(PhotoDone(self.name, photo.id, photo.name, done, url, warnings))

    @asynccontextmanager
    async def _remote_slot(self, item: PlanItem, cancel: asyncio.Event) -> AsyncIterator[None]:
        """One of the platform's concurrent slots, for the remote part of a photo's work.

        IMatch write-backs happen after the slot is released, so they batch across photos
        instead of holding the platform back. A photo not started when the run is
        cancelled or the platform stopped is not started at all.
        """
        async with self._slots:
            if cancel.is_set() or self._stopped:
                raise _NotStarted
            self.emit(PhotoStarted(self.name, item.photo.id, item.photo.name, item.action.value))
            yield

    def _fail(self, item: PlanItem, reason: str, error_name: str = "") -> None:
        self.summary.failed += 1
        self.summary.failures.append((item.photo.name, reason))
        self.emit(
            PhotoFailed(
                self.name, item.photo.id, item.photo.name, item.action.value, reason, error_name
            )
        )

    async def _perform(self, item: PlanItem, cancel: asyncio.Event) -> Outcome | None:
        slot = self._remote_slot(item, cancel)
        if item.action is Action.ADD:
            return await self._add(item, slot)
        if item.action in (Action.UPDATE, Action.METADATA):
            return await self._update(item, slot)
        await self._delete(item, slot)
        return None

    # --- the three mutations --------------------------------------------------------------

    async def _add(self, item: PlanItem, slot: AbstractAsyncContextManager[None]) -> Outcome:
        async with slot:
            intent, outcome = await self._add_remotely(item)
        await self._record_added(item.photo, outcome.ref)
        self.journal.done(intent)
        self.summary.added += 1
        return outcome

    async def _add_remotely(self, item: PlanItem) -> tuple[str, Outcome]:
        photo, post = item.photo, item.rendered.post
        resume = self.journal.resumable(self.name, photo.id) or None
        intent = self.journal.begin(self.name, photo.id, "add")
        ambiguous = False

        async def checkpoint(ids: Mapping[str, str]) -> None:
            self.journal.checkpoint(intent, ids)

        async def attempt() -> Outcome:
            nonlocal ambiguous
            # A retry reuses what the interrupted attempt created (e.g. pixelfed's media).
            known = self.journal.get(intent).remote or resume
            try:
                return await self.platform.add(post, intent, checkpoint, known)
            except AmbiguousError:
                ambiguous = True
                raise

        async def recover() -> Outcome | None:
            ref = await self.platform.find_by_marker(intent, self.journal.get(intent).remote)
            if ref is None:
                return None
            return await self._adopt(ref, post)

        try:
            outcome = await self._retrying(attempt, recover)
        except PlatformError as error:
            # After an answer that may have been lost, only the next run's reconciliation
            # (by marker or journaled ids) can tell whether the post exists: leave it open.
            if not ambiguous and not self.journal.get(intent).remote:
                if isinstance(error, PermanentError):
                    # Remembered with the file's fingerprint: not retried until it changes.
                    self.journal.failed(intent, error.error_name, photo.fingerprint)
                else:
                    self.journal.failed(intent, f"gave up: {error}")
            raise
        self.journal.remote_done(intent, {**outcome.ref.ids, "url": outcome.ref.url})
        return intent, outcome

    async def _adopt(self, ref: RemoteRef, post: Any) -> Outcome:
        """A post found again after a lost answer: bring it in line with `post`.

        The post exists whatever happens next, so a refused change is only a warning: the
        IMatch record must be written, or the next run would hold the photo back forever.
        """
        try:
            converged = await self.platform.update(ref, post, replace_image=False)
        except (PermanentError, AuthError) as error:
            return Outcome(ref, (ADOPTED, f"not brought up to date: {error}"))
        return dataclasses.replace(converged, ref=ref, warnings=(ADOPTED, *converged.warnings))

    async def _record_added(self, photo: Photo, ref: RemoteRef) -> None:
        await self.client.add_attribute_record(self.name, photo.id, ref.record(self.today()))
        flags = [self.flag_paths[f] for f in (FLAG_UPDATE, FLAG_METADATA) if photo.has_flag(f)]
        if flags:
            await self._writeback.unassign(flags, photo.id)

    async def _update(self, item: PlanItem, slot: AbstractAsyncContextManager[None]) -> Outcome:
        photo = item.photo
        ref = self._ref_of(photo)
        async with slot:
            intent = self.journal.begin(self.name, photo.id, item.action.value)
            try:
                outcome = await self._retrying(
                    lambda: self.platform.update(
                        ref, item.rendered.post, item.verdict.replace_image
                    )
                )
            except PermanentError as error:
                self.journal.failed(intent, error.error_name)
                raise
            self.journal.remote_done(intent, {**outcome.ref.ids, "url": outcome.ref.url})
        flags = [self.flag_paths[f] for f in (FLAG_UPDATE, FLAG_METADATA) if photo.has_flag(f)]
        await self._writeback.unassign(flags, photo.id)
        self.journal.done(intent)
        if item.action is Action.UPDATE and self.replaces_images:
            self.summary.updated += 1
        else:
            # pixelfed cannot replace a published image: its "update" sent the text only.
            self.summary.metadata += 1
        return outcome

    async def _delete(self, item: PlanItem, slot: AbstractAsyncContextManager[None]) -> None:
        photo = item.photo
        paths = [self.flag_paths[FLAG_DELETE], self.root]
        if not photo.on_platform:
            async with slot:
                pass
            await self._writeback.unassign(paths, photo.id)
            self.summary.cleared += 1
            return
        ref = self._ref_of(photo)
        async with slot:
            intent = self.journal.begin(self.name, photo.id, "delete")
            await self._retrying(lambda: self.platform.delete(ref))
            self.journal.remote_done(intent, dict(ref.ids))
        await self._forget_photo(photo, paths)
        self.journal.done(intent)
        self.summary.deleted += 1

    async def _forget_photo(self, photo: Photo, paths: list[str]) -> None:
        """Remove the records of a deleted post wherever they are (the file or a master/
        version relative) and every membership that would publish it again."""
        instances: dict[int, list[int]] = {}
        for record in photo.records:
            instances.setdefault(record.file_id, []).append(record.instance_id)
        await asyncio.gather(
            *(self._writeback.delete_records(f, ids) for f, ids in instances.items()),
            *(self._writeback.unassign(paths, f) for f in (photo.id, *photo.direct_relatives)),
        )

    async def _forget(self, file_id: int, instance_ids: list[int], paths: list[str]) -> None:
        await asyncio.gather(
            self._writeback.delete_records(file_id, instance_ids),
            self._writeback.unassign(paths, file_id),
        )

    def _ref_of(self, photo: Photo) -> RemoteRef:
        record = photo.record
        ref = self.platform.ref_from_record(record.values) if record else None
        if ref is None:
            keys = ", ".join(self.platform.record_keys)
            raise PermanentError(
                "attribute record incomplete",
                f"the {self.name} record of {photo.name} lacks {keys}",
            )
        return ref

    # --- retries --------------------------------------------------------------------------

    async def _retrying(
        self,
        attempt: Callable[[], Awaitable[T]],
        recover: Callable[[], Awaitable[T | None]] | None = None,
    ) -> T:
        def announce(seconds: float, reason: str) -> None:
            self.emit(Waiting(self.name, seconds, reason))

        return await retrying(self.retry, attempt, recover, announce)

    # --- reconciliation -------------------------------------------------------------------

    async def reconcile(self) -> int:
        """Finish or close what an interrupted run left open; returns intents handled.

        Call before `run`: adopted uploads get their IMatch record, so the plan (patched
        here) no longer adds them again.
        """
        intents = self.journal.unfinished(self.name)
        if not intents:
            return 0
        records = await self.client.attributes(self.name, {i.file_id for i in intents})
        touched: set[int] = set()
        for intent in intents:
            try:
                # Transient faults while looking are retried like any other call.
                if await self._retrying(functools.partial(self._reconcile_one, intent, records)):
                    touched.add(intent.file_id)
            except (PlatformError, IMatchError) as error:
                self.summary.warnings.append(
                    f"could not finish an interrupted {intent.action} of file {intent.file_id}: "
                    f"{error}; trying again next run"
                )
        if touched:
            await self._refresh_items(touched)
        return len(intents)

    async def _reconcile_one(self, intent: Intent, records: Mapping[int, Any]) -> bool:
        if intent.action == "add":
            return await self._reconcile_add(intent, records)
        if intent.action == "delete" and intent.state is State.REMOTE_DONE:
            item = self.plan.item(intent.file_id)
            instances = [r.instance_id for r in records.get(intent.file_id, [])]
            await self._forget(intent.file_id, instances, [self.flag_paths[FLAG_DELETE], self.root])
            self.journal.done(intent.id)
            if item is not None:
                self.plan.items.remove(item)
            return False
        if intent.state is State.REMOTE_DONE:
            flags = [self.flag_paths[FLAG_UPDATE], self.flag_paths[FLAG_METADATA]]
            await self._writeback.unassign(flags, intent.file_id)
            self.journal.done(intent.id)
            return True
        # An update or delete that may not have happened is simply planned again.
        self.journal.abandoned(intent.id, "interrupted; planned again if still flagged")
        return False

    async def _reconcile_add(self, intent: Intent, records: Mapping[int, Any]) -> bool:
        keys = self.platform.record_keys
        existing = records.get(intent.file_id, [])
        if intent.remote and any(
            all(r.values.get(k) == intent.remote.get(k) for k in keys) for r in existing
        ):
            self.journal.done(intent.id)
            return True
        if intent.state is State.REMOTE_DONE and all(intent.remote.get(k) for k in keys):
            ref = RemoteRef({k: intent.remote[k] for k in keys}, intent.remote.get("url", ""))
        else:
            found = await self.platform.find_by_marker(intent.id, intent.remote)
            if found is None:
                self.journal.abandoned(intent.id, "nothing was posted")
                return False
            ref = found
            item = self.plan.item(intent.file_id)
            if item is not None:
                adopted = await self._adopt(ref, item.rendered.post)
                self.summary.warnings += [f"{item.photo.name}: {w}" for w in adopted.warnings]
            self.journal.remote_done(intent.id, {**ref.ids, "url": ref.url})
        item = self.plan.item(intent.file_id)
        photo = item.photo if item else None
        await self.client.add_attribute_record(self.name, intent.file_id, ref.record(self.today()))
        if photo is not None:
            flags = [self.flag_paths[f] for f in (FLAG_UPDATE, FLAG_METADATA) if photo.has_flag(f)]
            if flags:
                await self._writeback.unassign(flags, photo.id)
        self.journal.done(intent.id)
        self.summary.adopted += 1
        return True

    async def _refresh_items(self, file_ids: set[int]) -> None:
        """Re-read the records of reconciled photos and classify them again."""
        records = await self.client.attributes(self.name, file_ids)
        for index, item in enumerate(self.plan.items):
            if item.file_id not in file_ids:
                continue
            photo = dataclasses.replace(
                item.photo,
                records=tuple(records.get(item.file_id, ())),
                flags=item.photo.flags - {FLAG_UPDATE, FLAG_METADATA},
            )
            self.plan.items[index] = with_photo(item, photo, self.checks)

    # --- error categories ---------------------------------------------------------------

    def current_errors(self) -> dict[int, set[str]]:
        """Error names of every photo as of now: planned errors plus failures of this run."""
        errors = {i.file_id: set(i.verdict.errors) for i in self.plan.bucket(Action.ERROR)}
        for file_id, names in self._failed_errors.items():
            errors.setdefault(file_id, set()).update(names)
        return errors

    async def _sync_error_categories(self) -> None:
        wanted: dict[str, set[int]] = {}
        for file_id, names in self.current_errors().items():
            for name in names:
                wanted.setdefault(name, set()).add(file_id)
        subtree = self.plan.publication.subtrees.get(self.plan.publication.layout.errors)
        present = {c.name: set(c.files) for c in subtree.children} if subtree else {}
        calls = []
        for name in sorted(set(wanted) | set(present)):
            path = f"{self.errors_root}|{name}"
            stale = present.get(name, set()) - wanted.get(name, set())
            missing = wanted.get(name, set()) - present.get(name, set())
            if stale:
                calls.append(self.client.unassign(path, sorted(stale)))
            if missing:
                calls.append(self.client.assign(path, sorted(missing)))
        await asyncio.gather(*calls)

    def _count_plan(self) -> None:
        errors = self.current_errors()
        names = {item.file_id: item.photo.name for item in self.plan.items}
        self.summary.errors = len(errors)
        self.summary.error_photos = sorted(
            (names.get(file_id, str(file_id)), tuple(sorted(found)))
            for file_id, found in errors.items()
        )
        self.summary.unchanged = len(self.plan.bucket(Action.UNCHANGED))
