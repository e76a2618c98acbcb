"""Executes a plan, or any part of it, against one platform.

Every remote mutation is wrapped in a journal intent and followed by its IMatch
write-back (through `WriteBack`, batched with whatever else is ready). Just before
acting, the chosen photos' records are read again and their open intents checked: a
photo that has a record or an unsettled upload is never uploaded again. Transient
failures are retried (`sync.retry`); an answer lost after a change is resolved by looking
for the change before trying again. A refusal of the account (upload limit, storage
full) stops uploads for the run; a refused login stops the platform; IMatch that stops
answering stops the run, since nothing more could be recorded. At the end the
platform's `__errors|<name>` categories are made exactly equal to the photos' errors,
including those found while acting in earlier runs (kept in the state store).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from contextlib import asynccontextmanager
from datetime import date
from typing import Any, TypeVar

from imatch.client import IMatchClient
from imatch.errors import IMatchError, IMatchUnavailable
from imatch.models import AttributeRecord
from sync.config import Settings
from sync.error_names import (
    FILE_NOT_FOUND,
    FILE_TOO_LARGE,
    RECORD_INCOMPLETE,
    UPLOAD_NOT_CONFIRMED,
    is_permanent,
)
from sync.events import (
    Listener,
    PhotoDone,
    PhotoFailed,
    PhotoStarted,
    PlatformLimited,
    PlatformStopped,
    Progress,
    RunFinished,
    RunSummary,
    Waiting,
)
from sync.found_errors import stamp_of, still_valid
from sync.journal import Journal
from sync.photo import Photo
from sync.plan import (
    Plan,
    PlanItem,
    checks_for,
    default_limits,
    moved_state_keys,
    published_now,
    with_photo,
)
from sync.platforms.base import (
    AccountLimited,
    AmbiguousError,
    AuthError,
    Limits,
    Outcome,
    PermanentError,
    Platform,
    PlatformError,
    RemoteRef,
)
from sync.reconcile import ADOPTED, REPOST, Reconciler, Reconciliation
from sync.records import fresh_records
from sync.retry import RetryPolicy, retrying
from sync.rules import CHANGED_FILE, Action, Verdict, file_errors
from sync.writeback import WriteBack

__all__ = ["ADOPTED", "Engine", "RetryPolicy", "retrying"]

T = TypeVar("T")
log = logging.getLogger(__name__)
IMATCH_GONE = (
    "IMatch stopped answering ({error}): the run was stopped so that nothing is changed "
    "that IMatch cannot record"
)
CHANGED_SINCE_PLANNED = "changed since it was planned (rescan to see it); not done"


class _NotStarted(Exception):
    """The run was cancelled or stopped before this photo's turn."""


class _LeftAlone(Exception):
    """Nothing to do for this photo now, and why (said as a warning, not a failure)."""


class _Unrecorded(Exception):
    """The remote change was made, but IMatch could not record it (the journal keeps it)."""

    def __init__(self, outcome: Outcome | None, error: IMatchUnavailable) -> None:
        super().__init__(str(error))
        self.outcome = outcome
        self.error = error


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
        repost: bool = False,
    ) -> None:
        self.client = client
        self.journal = journal
        self.store = journal.store
        self.platform = platform
        self.plan = plan
        self.settings = settings
        self.checks = checks_for(plan.platform, settings, limits)
        own_limits = limits or default_limits(plan.platform)
        self.replaces_images = own_limits.replaces_images
        self.fixed_fields = own_limits.fixed_fields
        self.emit: Listener = emit or (lambda event: None)
        self.retry = retry or RetryPolicy()
        own = settings.platform(plan.platform)
        self._slots = asyncio.Semaphore(max(1, concurrency or own.concurrency))
        self.today = today
        self.repost = repost
        """Changed files on a platform that cannot replace images are reposted (delete,
        then add): only when the user confirmed it or asked for it by flag."""
        self.summary = RunSummary(plan.platform)
        self.writeback = WriteBack(client, plan.platform, plan.publication)
        self._failed_errors: dict[int, set[str]] = {}
        self._succeeded: set[int] = set()
        self._stopped = ""
        self._imatch_gone = False
        self._limited = ""
        self._changed_done: dict[int, str] = {}
        """What running a `changed` photo did (`update`, `metadata`, `repost`)."""

    @property
    def name(self) -> str:
        return self.plan.platform

    # --- reconciliation ------------------------------------------------------------------

    async def reconcile(self) -> Reconciliation:
        """Finish or close what an interrupted run left open. Call before `run`: adopted
        uploads get their IMatch record and the plan (patched) no longer adds them."""
        reconciler = Reconciler(
            client=self.client,
            journal=self.journal,
            platform=self.platform,
            plan=self.plan,
            writeback=self.writeback,
            checks=self.checks,
            retrying=self._retrying,
            today=self.today,
        )
        return await reconciler.run()

    # --- running ------------------------------------------------------------------------

    async def run(
        self, items: Iterable[PlanItem] | None = None, cancel: asyncio.Event | None = None
    ) -> RunSummary:
        """Run the chosen items (default: everything there is to do) and report."""
        wanted = self.plan.select() if items is None else items
        chosen = list({item.file_id: item for item in wanted}.values())
        running = {item.file_id for item in chosen}
        self.summary.changed_left = sum(
            1 for i in self.plan.bucket(Action.CHANGED) if i.file_id not in running
        )
        cancel = cancel or asyncio.Event()
        done = 0

        async def one(item: PlanItem) -> None:
            nonlocal done
            now = current.get(item.file_id, item)
            if now.action is item.action or now.action is Action.UNCHANGED:
                await self._one(now, cancel)
            else:
                self.summary.skipped += 1
                self.summary.warnings.append(f"{item.photo.name}: {CHANGED_SINCE_PLANNED}")
            done += 1
            self.emit(Progress(self.name, done, len(chosen)))

        current: dict[int, PlanItem] = {}
        try:
            current = await self._as_they_are_now(chosen)
        except IMatchUnavailable as error:
            self._stop_for_imatch(error)
        except IMatchError as error:
            self._stop(f"could not read the records from IMatch again before acting: {error}")
        await asyncio.gather(*(one(item) for item in chosen))
        self.summary.cancelled = cancel.is_set()
        await self._write_error_categories()
        self._count_plan()
        self.emit(RunFinished(self.name, self.summary))
        return self.summary

    async def _as_they_are_now(self, chosen: list[PlanItem]) -> dict[int, PlanItem]:
        """The chosen photos with their records read again (under the run lock): a photo
        recorded since it was planned is planned again from what IMatch holds now."""
        acting = [i for i in chosen if i.action not in (Action.ERROR, Action.UNCHANGED)]
        if not acting:
            return {}
        records = await fresh_records(self.client, self.name, (i.photo for i in acting))
        current: dict[int, PlanItem] = {}
        for item in acting:
            fresh = records[item.file_id]
            if _record_ids(fresh) == _record_ids(item.photo.records):
                continue
            photo = dataclasses.replace(item.photo, records=fresh)
            current[item.file_id] = with_photo(item, photo, self.checks)
        if current:  # the plan (shown, and used for the error categories) follows
            for index, planned in enumerate(self.plan.items):
                if planned.file_id in current:
                    self.plan.items[index] = current[planned.file_id]
        return current

    async def _one(self, item: PlanItem, cancel: asyncio.Event) -> None:
        if item.action is Action.ERROR or item.action is Action.UNCHANGED:
            return
        photo = item.photo
        try:
            outcome = await self._perform(item, cancel)
        except _NotStarted:
            self.summary.skipped += 1
        except _LeftAlone as left:
            self.summary.warnings.append(f"{photo.name}: {left}")
        except _Unrecorded as unrecorded:
            self._stop_for_imatch(unrecorded.error)
            self.summary.unrecorded += 1
            url = unrecorded.outcome.ref.url if unrecorded.outcome else ""
            note = "made, but IMatch could not record it: the next run records it"
            self.emit(PhotoDone(self.name, photo.id, photo.name, item.action.value, url, (note,)))
        except IMatchUnavailable as error:
            self._stop_for_imatch(error)
            self.summary.skipped += 1
        except AccountLimited as error:
            self.summary.skipped += 1
            if not self._limited:
                self._limited = str(error)
                self.summary.limited = str(error)
                self.emit(PlatformLimited(self.name, str(error)))
        except PermanentError as error:
            self._failed_errors.setdefault(photo.id, set()).add(error.error_name)
            if is_permanent(error.error_name):  # else it is tried again next run
                self.store.remember_errors(
                    self.name, photo.id, [error.error_name], stamp_of(item), str(error)
                )
            self._fail(item, str(error), error.error_name)
        except AuthError as error:
            self._fail(item, str(error))
            self._stop(str(error))
        except (PlatformError, IMatchError) as error:
            self._fail(item, str(error))
        except Exception as error:  # a bug must not end the run without its report
            log.exception("unexpected error while working on %s", photo.name)
            self._fail(item, f"unexpected error: {type(error).__name__}: {error}")
        else:
            self._succeeded.add(photo.id)
            self.store.forget_errors(self.name, [photo.id])
            url = outcome.ref.url if outcome else ""
            warnings = outcome.warnings if outcome else ()
            self.summary.warnings += [f"{photo.name}: {w}" for w in warnings]
            # What was done: an update that could not replace the image updated the text.
            done = item.action.value
            kept_image = outcome is not None and outcome.kept_image
            if item.action is Action.UPDATE and (kept_image or not self.replaces_images):
                done = Action.METADATA.value
            if item.action is Action.CHANGED:
                done = self._changed_done.get(photo.id, Action.METADATA.value)
            self.emit(PhotoDone(self.name, photo.id, photo.name, done, url, warnings))

    def _stop(self, reason: str) -> None:
        if not self._stopped:
            self._stopped = reason
            self.summary.stopped = reason
            self.emit(PlatformStopped(self.name, reason))

    def _stop_for_imatch(self, error: IMatchError) -> None:
        self._imatch_gone = True
        self._stop(IMATCH_GONE.format(error=error))

    @asynccontextmanager
    async def _remote_slot(self, item: PlanItem, cancel: asyncio.Event) -> AsyncIterator[None]:
        """One of the platform's concurrent slots, for the remote part of a photo's work.

        IMatch write-backs happen after the slot is released, so they batch across photos
        instead of holding the platform back. A photo not started when the run is
        cancelled or stopped is not started at all, nor an upload once the account has
        refused uploads, nor any change while IMatch could not record it.
        """
        async with self._slots:
            if cancel.is_set() or self._stopped:
                raise _NotStarted
            # New photos only: an update is the adapter's to decide (a free account may
            # keep the image and update the text; a refused replace stops that photo).
            if self._limited and item.action is Action.ADD:
                raise _NotStarted
            await self._imatch_is_answering()
            if self._stopped:
                raise _NotStarted
            self.emit(PhotoStarted(self.name, item.photo.id, item.photo.name, item.action.value))
            yield

    async def _imatch_is_answering(self) -> None:
        """No remote change starts while IMatch could not record it: IMatch is asked (one
        small request, briefly retried) right before each one."""
        try:
            await self.client.ping()
        except IMatchUnavailable as error:
            self._stop_for_imatch(error)
            raise _NotStarted from None

    def _fail(self, item: PlanItem, reason: str, error_name: str = "") -> None:
        self.summary.failed += 1
        self.summary.failures.append((item.photo.name, reason))
        self.emit(
            PhotoFailed(
                self.name, item.photo.id, item.photo.name, item.action.value, reason, error_name
            )
        )

    async def _perform(self, item: PlanItem, cancel: asyncio.Event) -> Outcome | None:
        if item.action is Action.ADD:
            return await self._add(item, cancel)
        if item.action in (Action.UPDATE, Action.METADATA):
            return await self._update(item, cancel)
        if item.action is Action.CHANGED:
            return await self._changed(item, cancel)
        await self._delete(item, cancel)
        return None

    async def _recorded(self, outcome: Outcome | None, write: Awaitable[object]) -> None:
        """An IMatch write-back after a remote change; IMatch gone makes it `_Unrecorded`."""
        try:
            await write
        except IMatchUnavailable as error:
            raise _Unrecorded(outcome, error) from None

    # --- add --------------------------------------------------------------------------

    async def _add(self, item: PlanItem, cancel: asyncio.Event) -> Outcome:
        photo, post = item.photo, item.rendered.post
        async with self._remote_slot(item, cancel):
            if photo.records:
                raise _NotStarted  # recorded since it was planned (never a second post)
            if any(i.action == "add" for i in self.journal.open_intents(self.name, photo.id)):
                raise PermanentError(UPLOAD_NOT_CONFIRMED, "an earlier upload of it may exist")
            resume = self.journal.resumable(self.name, photo.id) or None
            clears = self.writeback.change_flags(photo)
            intent = self.journal.begin(self.name, photo.id, "add", clears)
            outcome = await self._upload(intent, post, resume, photo)
        await self._recorded(outcome, self._record_new_post(photo, outcome.ref, clears))
        self.journal.done(intent)
        published = published_now(item, unsettled=outcome.unsettled)
        self.store.remember_published(self.name, photo.id, published, moved_state_keys(photo))
        self.summary.added += 1
        return outcome

    async def _upload(
        self, intent: str, post: Any, resume: Mapping[str, str] | None, photo: Photo
    ) -> Outcome:
        ambiguous = False

        async def checkpoint(ids: Mapping[str, str]) -> None:
            self.journal.checkpoint(intent, ids)

        async def attempt() -> Outcome:
            nonlocal ambiguous
            # A retry reuses what the interrupted attempt created (e.g. uploaded media).
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
                self.journal.failed(intent, getattr(error, "error_name", "") or str(error))
            raise
        self.journal.remote_done(intent, {**outcome.ref.ids, "url": outcome.ref.url})
        return outcome

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

    async def _record_new_post(self, photo: Photo, ref: RemoteRef, clears: Iterable[str]) -> None:
        await self.writeback.record_post(photo.id, ref, self.today())
        await self.writeback.clear(photo.id, clears)

    # --- update -----------------------------------------------------------------------

    async def _changed(self, item: PlanItem, cancel: asyncio.Event) -> Outcome | None:
        """A photo whose post or file changed since it was published: its text is updated,
        and its image replaced where the platform can. Where it cannot, a changed file is
        reposted (delete, then add) only when that was confirmed or asked for; else only
        the text is updated, and the photo stays `changed` (file) so it is not forgotten."""
        file_changed = CHANGED_FILE in item.verdict.changed
        if file_changed and not self.replaces_images and self.repost:
            self._changed_done[item.file_id] = "repost"
            return await self._repost(item, cancel)
        fixed = set(item.verdict.changed) & self.fixed_fields
        if file_changed and not self.replaces_images:
            fixed.add(CHANGED_FILE)
        if fixed and fixed == set(item.verdict.changed):  # no update could change any of it
            raise _LeftAlone(self._unchangeable_note(fixed))
        # Where the image cannot be replaced, only the text is sent (said once, below).
        outcome = await self._update(item, cancel, replace_image=self.replaces_images)
        replaced = file_changed and self.replaces_images and not outcome.kept_image
        self._changed_done[item.file_id] = "update" if replaced else "metadata"
        if file_changed and not self.replaces_images:
            self.summary.warnings.append(f"{item.photo.name}: {self.repost_note()}")
        return outcome

    def _unchangeable_note(self, fields: set[str]) -> str:
        notes = [self.repost_note()] if CHANGED_FILE in fields else []
        others = sorted(fields - {CHANGED_FILE})
        if others:
            notes.append(
                f"its {', '.join(others)} changed, and {self.name} cannot change that on a "
                "published post: delete and add it again to publish it"
            )
        return "; ".join(notes)

    def repost_note(self) -> str:
        return (
            f"its file changed, and {self.name} cannot replace a published image: the post "
            "keeps the old image. Reposting it (delete, then add: its likes and comments go) "
            "needs your confirmation in the app, or --repost-changed-files"
        )

    async def _repost(self, item: PlanItem, cancel: asyncio.Event) -> Outcome:
        """Delete the published post, forget its record, then add the photo again as a new
        post. Interrupted after the delete, the record is forgotten by reconciliation and
        the next run adds the photo (it is still in the platform's Socials category)."""
        photo = item.photo
        ref = self._ref_of(photo, photo.record)
        problems = self._file_problems_now(photo)
        if problems:  # the post would be deleted and the new file refused: keep the post
            raise PermanentError(problems[0], "not reposted: the post and its image stay")
        async with self._remote_slot(item, cancel):
            intent = self.journal.begin(self.name, photo.id, REPOST)
            self.journal.checkpoint(intent, {**ref.ids, "url": ref.url})
            try:
                await self._retrying(functools.partial(self.platform.delete, ref))
            except PermanentError as error:
                self.journal.failed(intent, error.error_name)
                raise
            self.journal.remote_done(intent, dict(ref.ids))
        gone = [r for r in photo.records if self.platform.ref_from_record(r.values) == ref]
        await self._recorded(None, self.writeback.forget_records(gone or list(photo.records)))
        self.journal.done(intent)
        self.store.forget_file(self.name, photo.id, moved_state_keys(photo))
        fresh = dataclasses.replace(photo, records=())
        adding = dataclasses.replace(item, photo=fresh, verdict=Verdict(Action.ADD))
        outcome = await self._add(adding, cancel)
        self.summary.reposted += 1
        return outcome

    def _file_problems_now(self, photo: Photo) -> list[str]:
        """The file's upload errors as it is on disk now (the plan may be minutes old)."""
        try:
            size = os.stat(photo.file.path).st_size
        except OSError:
            return [FILE_NOT_FOUND]
        problems = [e for e in file_errors(photo, self.checks) if e != FILE_TOO_LARGE]
        return [*problems, FILE_TOO_LARGE] if size > self.checks.max_file_bytes else problems

    async def _update(
        self, item: PlanItem, cancel: asyncio.Event, replace_image: bool = True
    ) -> Outcome:
        """`replace_image=False`: the text only, whatever the verdict says."""
        photo = item.photo
        replace = item.verdict.replace_image and replace_image
        ref = self._ref_of(photo, photo.record)
        clears = self.writeback.change_flags(photo)
        previous = item.previous
        async with self._remote_slot(item, cancel):
            intent = self.journal.begin(self.name, photo.id, item.action.value, clears)
            self.journal.checkpoint(intent, {**ref.ids, "url": ref.url})
            try:
                outcome = await self._retrying(
                    lambda: self.platform.update(ref, item.rendered.post, replace, previous)
                )
            except PermanentError as error:
                self.journal.failed(intent, error.error_name)
                raise
            except AccountLimited as error:
                self.journal.failed(intent, str(error))
                raise
            self.journal.remote_done(intent, {**outcome.ref.ids, "url": outcome.ref.url})
        await self._recorded(outcome, self.writeback.clear(photo.id, clears))
        self.journal.done(intent)
        replaced = replace and self.replaces_images and not outcome.kept_image
        # Not replaced: the image published is still the old one, only the text changed.
        kept = previous if not replaced and previous is not None and previous.fingerprint else None
        published = published_now(item, unsettled=outcome.unsettled, kept_file=kept)
        self.store.remember_published(self.name, photo.id, published, moved_state_keys(photo))
        if (item.action is Action.UPDATE and not outcome.kept_image and self.replaces_images) or (
            item.action is Action.CHANGED and replaced
        ):
            self.summary.updated += 1
        else:
            # The platform (or this account, e.g. a free one) cannot replace a published
            # image: its "update" sent the text only.
            self.summary.metadata += 1
        return outcome

    # --- delete -----------------------------------------------------------------------

    async def _delete(self, item: PlanItem, cancel: asyncio.Event) -> None:
        """Delete every recorded post of the photo; forget only what is really gone."""
        photo = item.photo
        if not photo.on_platform:
            async with self._remote_slot(item, cancel):
                pass
            unpublish = self.writeback.clear(photo.id, self.writeback.unpublish_paths)
            await self._recorded(None, unpublish)
            self.summary.cleared += 1
            return
        posts = self._posts_of(photo)
        deleted: list[AttributeRecord] = []
        intents: list[str] = []
        refusal: PermanentError | None = None
        async with self._remote_slot(item, cancel):
            for ref, records in posts:
                if ref is None:
                    refusal = refusal or self._incomplete(photo)
                    continue
                intent = self.journal.begin(self.name, photo.id, "delete")
                self.journal.checkpoint(intent, {**ref.ids, "url": ref.url})
                try:
                    await self._retrying(functools.partial(self.platform.delete, ref))
                except PermanentError as error:
                    self.journal.failed(intent, error.error_name)
                    refusal = refusal or error
                    continue
                self.journal.remote_done(intent, dict(ref.ids))
                deleted += records
                intents.append(intent)
        # Together, so they travel in one batch with other photos' write-backs. Records
        # are removed wherever they are (the file or a master/version relative), and so
        # is every membership that would publish the photo again.
        writes = [self.writeback.forget_records(deleted)]
        if refusal is None:
            for file_id in (photo.id, *photo.direct_relatives):
                writes.append(self.writeback.clear(file_id, self.writeback.unpublish_paths))
        await self._recorded(None, asyncio.gather(*writes))
        if refusal is None:
            self.store.forget_file(self.name, photo.id, moved_state_keys(photo))
        for intent in intents:
            self.journal.done(intent)
        if refusal is not None:
            raise refusal
        self.summary.deleted += 1

    def _posts_of(self, photo: Photo) -> list[tuple[RemoteRef | None, list[AttributeRecord]]]:
        """Each distinct post the photo's records name, with the records that name it."""
        posts: dict[tuple[tuple[str, str], ...], tuple[RemoteRef, list[AttributeRecord]]] = {}
        incomplete: list[tuple[RemoteRef | None, list[AttributeRecord]]] = []
        for record in photo.records:
            ref = self.platform.ref_from_record(record.values)
            if ref is None:
                incomplete.append((None, [record]))
                continue
            key = tuple(sorted(ref.ids.items()))
            posts.setdefault(key, (ref, []))[1].append(record)
        return [*posts.values(), *incomplete]

    def _incomplete(self, photo: Photo) -> PermanentError:
        keys = ", ".join(self.platform.record_keys)
        return PermanentError(
            RECORD_INCOMPLETE,
            f"the {self.name} record of {photo.name} lacks {keys}",
        )

    def _ref_of(self, photo: Photo, record: AttributeRecord | None) -> RemoteRef:
        ref = self.platform.ref_from_record(record.values) if record else None
        if ref is None:
            raise self._incomplete(photo)
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

    # --- error categories ---------------------------------------------------------------

    def current_errors(self) -> dict[int, set[str]]:
        """Error names of every photo as of now: planned errors, errors found while acting
        (this run's and, for photos unchanged since, earlier runs')."""
        errors = {i.file_id: set(i.verdict.errors) for i in self.plan.bucket(Action.ERROR)}
        remembered, obsolete = still_valid(self.plan, self.store.runtime_errors(self.name))
        self.store.forget_errors(self.name, obsolete)
        for file_id, names in remembered.items():
            if file_id not in self._succeeded:
                errors.setdefault(file_id, set()).update(names)
        for file_id, names in self._failed_errors.items():
            errors.setdefault(file_id, set()).update(names)
        return errors

    async def _write_error_categories(self) -> None:
        if self._imatch_gone:
            self.summary.categories_written = False
            return
        try:
            await self.writeback.sync_error_categories(self.current_errors())
        except IMatchError as error:
            self.summary.categories_written = False
            self.summary.warnings.append(f"error categories not updated in IMatch: {error}")
            if isinstance(error, IMatchUnavailable):
                self._stop_for_imatch(error)

    def _count_plan(self) -> None:
        errors = self.current_errors()
        names = {item.file_id: item.photo.name for item in self.plan.items}
        self.summary.errors = len(errors)
        self.summary.error_photos = sorted(
            (names.get(file_id, str(file_id)), tuple(sorted(found)))
            for file_id, found in errors.items()
        )
        self.summary.unchanged = len(self.plan.bucket(Action.UNCHANGED))


def _record_ids(records: Iterable[AttributeRecord]) -> list[tuple[int, int]]:
    return sorted((r.file_id, r.instance_id) for r in records)
