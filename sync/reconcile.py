"""Finishing what an interrupted run left open (its unfinished journal intents).

For each open intent of the platform:
- an add: the post is looked for (journaled ids, else the marker); found, it is brought up
  to date, recorded in IMatch unless a record with that remote id already exists, and the
  flags its intent was for are cleared; not found, the intent is closed ("abandoned");
- an update or delete the platform confirmed: its write-back is finished (flags cleared;
  the deleted post's record forgotten and, once no post is left, `_delete` and the
  Socials membership removed);
- an update or delete that may not have happened: closed, and planned again if the
  photo is still flagged;
- an intent whose file is no longer in IMatch: reported once with the post's URL and
  closed; the post is left alone.
What was done, and what could not be done yet, is returned as a `Reconciliation` that
the run reports like any other outcome.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from imatch.client import IMatchClient
from imatch.errors import IMatchError, IMatchRequestError, IMatchUnavailable
from imatch.models import AttributeRecord
from sync.journal import Intent, Journal, State
from sync.plan import Plan, moved_state_keys, published_now, with_photo
from sync.platforms.base import (
    AuthError,
    Outcome,
    PermanentError,
    Platform,
    PlatformError,
    RemoteRef,
)
from sync.records import fresh_records
from sync.rules import Checks
from sync.summary_text import count_of
from sync.writeback import WriteBack

T = TypeVar("T")
ADOPTED = "found again after an interrupted run"
REPOST = "repost"
"""The intent of a repost's delete: once done, the post's record is forgotten (the photo
stays in Socials, so the next run adds it again), never the Socials membership."""
Retrying = Callable[[Callable[[], Awaitable[T]]], Awaitable[T]]


@dataclass
class Reconciliation:
    """What reconciling one platform's open intents did."""

    adopted: int = 0
    """Posts an interrupted run made, found again (or confirmed) and recorded in IMatch."""
    completed: int = 0
    """Updates and deletes an interrupted run made whose IMatch write-back was finished."""
    abandoned: int = 0
    """Interrupted changes that never happened; closed (still flagged photos run again)."""
    gone: list[str] = field(default_factory=list)
    """Intents whose file is no longer in IMatch, with the post's URL (left alone)."""
    problems: list[str] = field(default_factory=list)
    """What could not be settled now (tried again next run)."""
    warnings: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(
            self.adopted
            or self.completed
            or self.abandoned
            or self.gone
            or self.problems
            or self.warnings
        )

    def merge(self, other: Reconciliation) -> None:
        self.adopted += other.adopted
        self.completed += other.completed
        self.abandoned += other.abandoned
        self.gone += other.gone
        self.problems += other.problems
        self.warnings += other.warnings

    def lines(self) -> list[str]:
        """One sentence per outcome, for the logs of the front ends."""
        return self.count_lines() + self.gone + self.problems + self.warnings

    def count_lines(self) -> list[str]:
        """What was done, counted (the rest also reaches the run's summary)."""
        said = []
        if self.adopted:
            said.append(f"recovered {count_of(self.adopted, 'post')} an interrupted run had made")
        if self.completed:
            changes = count_of(self.completed, "change")
            said.append(f"finished recording {changes} of an interrupted run")
        if self.abandoned:
            changes = count_of(self.abandoned, "interrupted change")
            said.append(f"closed {changes} that never happened")
        return said


class Reconciler:
    """Settles the open intents of one platform against IMatch and the platform."""

    def __init__(
        self,
        *,
        client: IMatchClient,
        journal: Journal,
        platform: Platform[Any],
        plan: Plan,
        writeback: WriteBack,
        checks: Checks,
        retrying: Retrying[Any],
        today: Callable[[], str],
    ) -> None:
        self.client = client
        self.journal = journal
        self.platform = platform
        self.plan = plan
        self.writeback = writeback
        self.checks = checks
        self.retrying = retrying
        self.today = today
        self.name = platform.name
        self.report = Reconciliation()
        self._cleared: dict[int, set[str]] = {}
        self._deleted: set[int] = set()
        self._forgotten: set[int] = set()
        """Photos whose record a finished repost forgot: planned again (as adds)."""

    async def run(self) -> Reconciliation:
        """Settle every open intent; IMatch not answering is raised (the run stops)."""
        intents = self.journal.unfinished(self.name)
        if not intents:
            return self.report
        present = await self._files_in_imatch(sorted({i.file_id for i in intents}))
        records: dict[int, list[AttributeRecord]] = dict(
            await self.client.attributes(self.name, sorted(present))
        )
        # A planned photo's records may be on its master or version: read those too.
        planned = [item.photo for f in present if (item := self.plan.item(f)) is not None]
        if planned:
            for file_id, found in (await fresh_records(self.client, self.name, planned)).items():
                records[file_id] = list(found)
        for intent in intents:
            try:
                await self.retrying(functools.partial(self._settle, intent, present, records))
            except IMatchUnavailable:
                raise
            except (PlatformError, IMatchError) as error:
                self.report.problems.append(
                    f"could not finish an interrupted {intent.action} of file "
                    f"{intent.file_id}: {error}; trying again next run"
                )
        await self._refresh_plan()
        return self.report

    async def _files_in_imatch(self, file_ids: list[int]) -> set[int]:
        """Which of these files IMatch still has. IMatch leaves unknown ids out of its
        answer; should it refuse the whole batch instead, each file is asked alone."""
        try:
            return {info.id for info in await self.client.files(file_ids, fields=("id",))}
        except IMatchRequestError:
            pass
        present = set()
        for file_id in file_ids:
            try:
                if await self.client.files([file_id], fields=("id",)):
                    present.add(file_id)
            except IMatchRequestError as error:
                if error.transient:
                    raise
        return present

    async def _settle(
        self, intent: Intent, present: set[int], records: Mapping[int, list[AttributeRecord]]
    ) -> None:
        if intent.file_id not in present:
            await self._file_gone(intent)
        elif intent.action == "add":
            await self._settle_add(intent, records.get(intent.file_id, []))
        elif intent.state is State.REMOTE_DONE and intent.action == "delete":
            await self._finish_delete(intent, records.get(intent.file_id, []))
        elif intent.state is State.REMOTE_DONE and intent.action == REPOST:
            await self._finish_repost_delete(intent, records.get(intent.file_id, []))
        elif intent.state is State.REMOTE_DONE:
            clears = intent.clears or self.writeback.all_change_flags
            await self.writeback.clear(intent.file_id, clears)
            self._note_cleared(intent.file_id, clears)
            self.journal.done(intent.id)
            self._remember_published(intent.file_id)
            self.report.completed += 1
        else:
            # An update or delete that may not have happened is simply planned again.
            self.journal.abandoned(intent.id, "interrupted; planned again if still flagged")
            self.report.abandoned += 1

    # --- adds -----------------------------------------------------------------------------

    async def _settle_add(self, intent: Intent, existing: list[AttributeRecord]) -> None:
        ref = self._journaled_ref(intent)
        if ref is None:
            ref = await self.platform.find_by_marker(intent.id, intent.remote)
            if ref is None:
                self.journal.abandoned(intent.id, "nothing was posted")
                self.report.abandoned += 1
                return
            await self._bring_up_to_date(intent.file_id, ref)
            self.journal.remote_done(intent.id, {**ref.ids, "url": ref.url})
        keys = self.platform.record_keys
        same = [r for r in existing if all(r.values.get(k) == ref.ids.get(k) for k in keys)]
        if not same and existing:
            # The file is on the platform with another post: never a second record.
            where = ref.url or ", ".join(f"{k} {v}" for k, v in ref.ids.items())
            self.report.warnings.append(
                f"file {intent.file_id} already has a {self.name} record for another post; "
                f"the post {where} that an interrupted run made was not recorded: delete it "
                f"on {self.name} if it is a duplicate"
            )
            self.journal.abandoned(intent.id, f"not recorded: the file has another post ({where})")
            self.report.abandoned += 1
            return
        if not same:
            await self.writeback.record_post(intent.file_id, ref, self.today())
        clears = intent.clears or self._old_intent_flags(intent.file_id)
        await self.writeback.clear(intent.file_id, clears)
        self._note_cleared(intent.file_id, clears)
        self.journal.done(intent.id)
        self._remember_published(intent.file_id)
        self.report.adopted += 1

    def _remember_published(self, file_id: int) -> None:
        """What the settled change published: the photo as planned now (adopted posts are
        brought up to date with it; an interrupted update sent it)."""
        item = self.plan.item(file_id)
        if item is not None:
            self.journal.store.remember_published(
                self.name, file_id, published_now(item), moved_state_keys(item.photo)
            )

    def _journaled_ref(self, intent: Intent) -> RemoteRef | None:
        keys = self.platform.record_keys
        if intent.state is State.REMOTE_DONE and all(intent.remote.get(k) for k in keys):
            return RemoteRef({k: intent.remote[k] for k in keys}, intent.remote.get("url", ""))
        return None

    async def _bring_up_to_date(self, file_id: int, ref: RemoteRef) -> None:
        """The post exists whatever happens next, so a refused change is only a warning:
        the IMatch record must be written, or the photo would be held back forever."""
        item = self.plan.item(file_id)
        if item is None:
            return
        try:
            outcome: Outcome = await self.platform.update(ref, item.rendered.post, False)
        except (PermanentError, AuthError) as error:
            self.report.warnings.append(
                f"{item.photo.name}: {ADOPTED}, not brought up to date: {error}"
            )
            return
        self.report.warnings += [f"{item.photo.name}: {w}" for w in outcome.warnings]

    def _old_intent_flags(self, file_id: int) -> Sequence[str]:
        """Intents written by older versions did not journal their flags: clear the flags
        the photo has in the plan (what those versions did)."""
        item = self.plan.item(file_id)
        return self.writeback.change_flags(item.photo) if item is not None else ()

    # --- deletes ----------------------------------------------------------------------------

    async def _finish_delete(self, intent: Intent, existing: list[AttributeRecord]) -> None:
        keys = self.platform.record_keys
        if any(intent.remote.get(k) for k in keys):
            gone = [r for r in existing if _same_post(r, intent.remote, keys)]
        else:
            gone = list(existing)  # older intents did not journal which post
        await self.writeback.forget_records(gone)
        if len(gone) == len(existing):
            item = self.plan.item(intent.file_id)
            relatives = item.photo.direct_relatives if item is not None else ()
            for file_id in (intent.file_id, *relatives):
                await self.writeback.clear(file_id, self.writeback.unpublish_paths)
            moved = moved_state_keys(item.photo) if item is not None else ()
            self.journal.store.forget_file(self.name, intent.file_id, moved)
            self._deleted.add(intent.file_id)
        self.journal.done(intent.id)
        self.report.completed += 1

    async def _finish_repost_delete(self, intent: Intent, existing: list[AttributeRecord]) -> None:
        """The old post of a repost is gone: forget its record (the photo stays in Socials
        and is added again by the run) and what was published of it."""
        keys = self.platform.record_keys
        await self.writeback.forget_records(
            [r for r in existing if _same_post(r, intent.remote, keys)]
        )
        self.journal.store.forget_file(self.name, intent.file_id)
        self.journal.done(intent.id)
        self.report.completed += 1
        item = self.plan.item(intent.file_id)
        if item is not None:
            self._forgotten.add(intent.file_id)

    # --- files no longer in IMatch ----------------------------------------------------------

    async def _file_gone(self, intent: Intent) -> None:
        ref = self._journaled_ref(intent)
        if ref is None and intent.action == "add":
            ref = await self.platform.find_by_marker(intent.id, intent.remote)
        url = (ref.url if ref else "") or intent.remote.get("url", "")
        deleted = intent.action == "delete" and intent.state is State.REMOTE_DONE
        if (ref is not None or url) and not deleted:
            where = url or ", ".join(f"{k} {v}" for k, v in (ref.ids if ref else {}).items())
            self.report.gone.append(
                f"file {intent.file_id} is no longer in IMatch: its {self.name} post {where} "
                f"(from an interrupted {intent.action}) was left alone"
            )
        self.journal.abandoned(intent.id, f"the file is no longer in IMatch; post: {url or '-'}")

    # --- the plan after reconciliation -------------------------------------------------------

    def _note_cleared(self, file_id: int, paths: Sequence[str]) -> None:
        names = {name for name, path in self.writeback.flag_paths.items() if path in paths}
        self._cleared.setdefault(file_id, set()).update(names)

    async def _refresh_plan(self) -> None:
        """Plan the photos reconciliation changed again, from their records as they are now."""
        for file_id in self._deleted:
            item = self.plan.item(file_id)
            if item is not None:
                self.plan.items.remove(item)
        again = set(self._cleared) | self._forgotten
        if not any(self.plan.item(f) is not None for f in again):
            return
        photos = [item.photo for item in self.plan.items if item.file_id in again]
        records = await fresh_records(self.client, self.name, photos)
        for index, item in enumerate(self.plan.items):
            if item.file_id not in again:
                continue
            photo = dataclasses.replace(
                item.photo,
                records=records[item.file_id],
                flags=item.photo.flags - self._cleared.get(item.file_id, set()),
            )
            self.plan.items[index] = with_photo(item, photo, self.checks)


def _same_post(record: AttributeRecord, ids: Mapping[str, str], keys: Sequence[str]) -> bool:
    """The record is of the post `ids` names (the ids it has must all agree)."""
    known = [k for k in keys if ids.get(k)]
    return bool(known) and all(record.values.get(k) == ids[k] for k in known)
