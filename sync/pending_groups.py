"""Group adds a platform left pending: remembered between runs and tried again when due.

A platform does not always add a photo to a group pool at once (DESIGN section 4): a moderated
pool queues it for the group's moderators (done, shown as pending), and a group's throttle
("Photo limit reached") refuses it until the member's window ends (pending, tried again
on a later run). The adapter reports both in `Outcome.pending`.

`PendingGroups` is the run's hook, used from one place (the session's `run`):
`start(platform)` first tries the adds earlier runs deferred that are due now, then gives
back the platform wrapped so that every add and update made in the run has its pending
adds stored in the state store (with when they are due) and described on the photo's
outcome; `finish(summary)` adds what happened to the run's summary. Both front ends show
these lines like any other outcome.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sync.events import RunSummary
from sync.plan import Plan, PlanItem, moved_state_keys
from sync.platforms.base import (
    Account,
    AuthError,
    Checkpoint,
    Limits,
    Outcome,
    PendingMembership,
    PermanentError,
    Platform,
    PlatformError,
    RemoteRef,
    _no_checkpoint,
)
from sync.published import Published
from sync.retry import RetryPolicy, retrying
from sync.rules import Action
from sync.state_store import PendingGroup, StateStore


def wall_clock() -> float:
    """Seconds since the epoch: due times outlive the process (tests replace this)."""
    return time.time()


def _when(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(moment))


def _tried_again(first_due: float) -> str:
    if first_due <= wall_clock():
        return "tried again by the next run"
    return f"tried again from {_when(first_due)}"


def left_pending_warnings(store: StateStore, platform: str) -> list[str]:
    """What earlier runs left pending, for the front ends to show before anything runs
    (the TUI's log at each scan, the headless plan): one line, or none."""
    left = store.pending_groups(platform)
    if not left:
        return []
    first = min(p.due for p in left)
    when = (
        "due now, a run (not a dry run) tries them"
        if first <= wall_clock()
        else f"tried again on a run from {_when(first)}"
    )
    return [
        f"{len(left)} group add(s) left pending by earlier runs (the groups' limits were "
        f"reached): {when}"
    ]


class PendingGroups:
    """One run's pending group adds on one platform."""

    def __init__(
        self, store: StateStore, platform: str, plan: Plan, retry: RetryPolicy | None = None
    ) -> None:
        self.store = store
        self.platform_name = platform
        self.plan = plan
        self.retry = retry or RetryPolicy()
        self.lines: list[str] = []
        self.queued = 0
        """Group adds of this run waiting for the groups' moderators."""
        self._names = _group_names(plan)
        self._by_post: dict[int, PlanItem] = {}

    # --- the run's hook ---------------------------------------------------------------

    async def start(self, platform: Platform[Any]) -> Platform[Any]:
        """Retry the deferred adds that are due; the platform to run with from now on."""
        await self.retry_due(platform)
        return _Watching(platform, self)

    def finish(self, summary: RunSummary) -> None:
        """Put what happened to pending group adds into the run's summary: every add still
        pending (this run's and earlier runs' alike), and the photos queued by moderators."""
        queued = self.queued
        left = self.store.pending_groups(self.platform_name)
        if left:
            first = min(p.due for p in left)
            summary.warnings.append(
                f"{len(left)} group add(s) pending: the groups' limits are reached, "
                f"{_tried_again(first)}"
            )
        if queued:
            summary.warnings.append(
                f"{queued} photo(s) wait in moderated groups' queues for their moderators"
            )
        summary.warnings[:0] = self.lines

    # --- deferred adds of earlier runs ------------------------------------------------

    async def retry_due(self, platform: Platform[Any]) -> None:
        """Try the adds earlier runs deferred whose time has come (one call per group and
        photo; a group that is still throttled is not asked again in this run)."""
        now = wall_clock()
        due: dict[int, list[PendingGroup]] = {}
        for pending in self.store.pending_groups(self.platform_name):
            if pending.due <= now:
                due.setdefault(pending.file_id, []).append(pending)
        done = 0
        moved = self._moved_from() if due else {}
        for file_id, entries in due.items():
            item = self.plan.item(file_id) or moved.get(file_id)
            groups = tuple(e.group_id for e in entries if self._still_wanted(item, e.group_id))
            for entry in entries:
                if entry.group_id not in groups:
                    self.store.settle_group(self.platform_name, file_id, entry.group_id)
                elif item is not None and item.file_id != file_id:
                    # The photo's assignment moved: its adds wait under its Socials file now.
                    self.store.settle_group(self.platform_name, file_id, entry.group_id)
                    self.store.defer_group(
                        self.platform_name, item.file_id, entry.group_id, entry.reason, entry.due
                    )
            ref = _ref_of(platform, item) if item is not None and groups else None
            if item is None or ref is None:
                continue
            try:
                outcome = await retrying(self.retry, _adding(platform, ref, groups))
            except PermanentError as error:
                self.lines.append(f"{item.photo.name}: pending group adds given up: {error}")
                for group in groups:  # where they wait now (moved with the photo, above)
                    self.store.settle_group(self.platform_name, item.file_id, group)
                continue
            except AuthError as error:
                self.lines.append(f"pending group adds not tried: {error}")
                return
            except PlatformError as error:
                # The platform is failing even after back-off: the other photos' adds would
                # each wait as long again before the run itself starts.
                self.lines.append(f"pending group adds not tried: {error}; the next run tries them")
                break
            still = {p.group for p in outcome.pending if p.retry_after is not None}
            done += len(set(groups) - still - set(outcome.refused_groups))
            self.lines += [f"{item.photo.name}: {warning}" for warning in outcome.warnings]
            self._note(item, groups, outcome)
            self._unsettle(item, outcome.unsettled)
        if done:
            self.lines.insert(0, f"{done} group add(s) left pending by earlier runs are done now")

    def _unsettle(self, item: PlanItem, fields: tuple[str, ...]) -> None:
        """Fields the retried adds were refused for are no longer recorded as published:
        the photo shows as changed (e.g. `groups`) until they are made."""
        previous = item.previous
        if not fields or previous is None:
            return
        digests, shown = dict(previous.digests), dict(previous.shown)
        for name in fields:
            digests[name], shown[name] = "", ""
        settled = dataclasses.replace(previous, digests=digests, shown=shown)
        self.store.remember_published(
            self.platform_name, item.file_id, settled, moved_state_keys(item.photo)
        )

    def _moved_from(self) -> dict[int, PlanItem]:
        """File id -> the item of the photo whose Socials assignment moved away from it
        (its master or version): adds deferred before the move are that photo's."""
        return {
            key: item
            for item in self.plan.items
            if item.photo.relatives
            for key in moved_state_keys(item.photo)
        }

    def _still_wanted(self, item: PlanItem | None, group: str) -> bool:
        """The photo is still published and IMatch still names the group."""
        if item is None or not item.photo.on_platform or item.action is Action.DELETE:
            return False
        return group in getattr(item.rendered.post, "groups", ())

    # --- adds and updates of this run -------------------------------------------------

    def noted(self, post: Any, outcome: Outcome) -> Outcome:
        """Store the outcome's pending adds and say so on the photo's outcome."""
        item = self._item_of(post)
        if item is None:
            return outcome
        lines = self._note(item, tuple(getattr(post, "groups", ())), outcome)
        if not lines:
            return outcome
        return dataclasses.replace(outcome, warnings=(*outcome.warnings, *lines))

    def _note(self, item: PlanItem, groups: tuple[str, ...], outcome: Outcome) -> list[str]:
        """Remember deferred adds, forget settled ones; the lines describing them."""
        now = wall_clock()
        pending = {p.group: p for p in outcome.pending}
        lines: list[str] = []
        for group in groups:
            membership = pending.get(group)
            if membership is None or membership.retry_after is None:
                # Done, refused with a warning, or waiting for moderators: nothing to retry.
                self.store.settle_group(self.platform_name, item.file_id, group)
        for membership in outcome.pending:
            lines.append(self._describe(membership, now))
            if membership.retry_after is None:
                self.queued += 1
                continue
            self.store.defer_group(
                self.platform_name,
                item.file_id,
                membership.group,
                membership.reason,
                due=now + membership.retry_after,
            )
        return lines

    def _describe(self, membership: PendingMembership, now: float) -> str:
        name = self._names.get(membership.group, "")
        group = f"group {name} ({membership.group})" if name else f"group {membership.group}"
        if membership.retry_after is None:
            return f"{group}: added, pending: {membership.reason}"
        due = _when(now + membership.retry_after)
        return f"{group}: pending: {membership.reason}; tried again on a run after {due}"

    def _item_of(self, post: Any) -> PlanItem | None:
        """The plan item a post was rendered for (the engine passes the item's own post)."""
        item = self._by_post.get(id(post))
        if item is None or item.rendered.post is not post:
            # The plan's list may have changed (reconciliation replaces items): re-index.
            # Only items already rendered can have made the post (no rendering for all).
            self._by_post = {
                id(i.kept_rendering.post): i
                for i in self.plan.items
                if i.kept_rendering is not None
            }
            item = self._by_post.get(id(post))
        return item if item is not None and item.rendered.post is post else None


def _adding(
    platform: Platform[Any], ref: RemoteRef, groups: tuple[str, ...]
) -> Callable[[], Awaitable[Outcome]]:
    async def attempt() -> Outcome:
        return await platform.add_to_groups(ref, groups)

    return attempt


def _ref_of(platform: Platform[Any], item: PlanItem) -> RemoteRef | None:
    record = item.photo.record
    return platform.ref_from_record(record.values) if record else None


def _group_names(plan: Plan) -> dict[str, str]:
    """Group id -> the name of its category under `groups|` (for messages)."""
    subtree = plan.publication.subtrees.get(plan.publication.layout.groups)
    names: dict[str, str] = {}
    for category in subtree.children if subtree else ():
        lines = category.description.strip().splitlines()
        if lines and lines[0].strip():
            names[lines[0].strip()] = category.name
    return names


class _Watching(Platform[Any]):
    """The run's platform: every add and update passes its pending group adds on."""

    def __init__(self, inner: Platform[Any], tracker: PendingGroups) -> None:
        self._inner = inner
        self._tracker = tracker
        self.name = inner.name
        self.record_keys = inner.record_keys

    async def connect(self) -> Account:
        return await self._inner.connect()

    async def limits(self) -> Limits:
        return await self._inner.limits()

    async def add(
        self,
        post: Any,
        marker: str,
        checkpoint: Checkpoint = _no_checkpoint,
        resume: Mapping[str, str] | None = None,
    ) -> Outcome:
        outcome = await self._inner.add(post, marker, checkpoint, resume)
        return self._tracker.noted(post, outcome)

    async def update(
        self, ref: RemoteRef, post: Any, replace_image: bool, previous: Published | None = None
    ) -> Outcome:
        outcome = await self._inner.update(ref, post, replace_image, previous)
        return self._tracker.noted(post, outcome)

    async def delete(self, ref: RemoteRef) -> None:
        await self._inner.delete(ref)

    async def add_to_groups(self, ref: RemoteRef, groups: tuple[str, ...]) -> Outcome:
        return await self._inner.add_to_groups(ref, groups)

    async def find_by_marker(
        self, marker: str, known: Mapping[str, str] | None = None
    ) -> RemoteRef | None:
        return await self._inner.find_by_marker(marker, known)

    def ref_from_record(self, values: Mapping[str, str]) -> RemoteRef | None:
        return self._inner.ref_from_record(values)

    async def close(self) -> None:
        await self._inner.close()
