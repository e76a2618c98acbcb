"""The plan snapshot: the last plan's table rows, kept so the next start shows them at once.

A snapshot holds per platform what the photo table needs (file id, action, name, title,
error names, size, the verdict's note) and when the plan was made. It is only ever shown:
acting always waits for a plan made from fresh IMatch data. It lives in the state
database (`plan_snapshots`, one compressed row per platform), written after each plan.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import sys
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sync.rules import Action
from sync.visible_text import visible

if TYPE_CHECKING:
    from imatch.library import Publication
    from sync.plan import Plan

FORMAT = 1
"""The rows' layout inside the blob; a snapshot in another layout is ignored."""


@dataclass(frozen=True, slots=True)
class PlanRow:
    """One photo as the table shows it (the same attributes as a `PlanItem`)."""

    file_id: int
    action: Action | None
    """None: not planned yet (a row read from IMatch a moment before its plan)."""
    name: str
    title: str
    errors: tuple[str, ...]
    size: int
    note: str = ""


class PlanSnapshot:
    """A platform's rows as last planned (or as just read), made when first asked for: a
    tab that is not shown never asks (its 50,000 rows decoded would be 15 MB held until
    its plan is in)."""

    __slots__ = ("__weakref__", "_make", "_rows", "platform", "provisional", "taken")

    def __init__(
        self,
        platform: str,
        taken: float,
        rows: list[PlanRow] | Callable[[], list[PlanRow] | None],
        provisional: bool = False,
    ) -> None:
        self.platform = platform
        self.taken = taken
        """Epoch seconds when the plan was made."""
        self.provisional = provisional
        """The rows were read from IMatch now and are being planned (no actions yet)."""
        self._rows: list[PlanRow] | None = rows if isinstance(rows, list) else None
        self._make = None if isinstance(rows, list) else rows

    def made_rows(self) -> list[PlanRow] | None:
        """The rows, made now if they were not; None when they cannot be made any more
        (a damaged blob, or a read let go before its tab was shown)."""
        if self._make is not None:
            self._rows, self._make = self._make(), None
        return self._rows

    @property
    def made(self) -> bool:
        """Whether the rows were made (or given)."""
        return self._make is None

    @property
    def rows(self) -> list[PlanRow]:
        return self.made_rows() or []

    def counts(self) -> dict[str, int]:
        counts = {action.value: 0 for action in Action}
        for row in self.rows:
            if row.action is not None:
                counts[row.action.value] += 1
        return counts


def rows_of(plan: Plan) -> list[PlanRow]:
    return [
        PlanRow(
            item.file_id,
            item.action,
            item.photo.name,
            item.photo.title,
            item.verdict.errors,
            item.photo.file.size,
            item.verdict.note,
        )
        for item in plan.items
    ]


def provisional_rows(publication: Publication) -> list[PlanRow] | None:
    """The plan's rows as IMatch gave them, before planning (which renders every post and
    looks at every file): shown while it runs, in the plan's order, without actions.
    None once the read was let go (`Publication.let_go`)."""
    files = publication.files
    if publication.candidates and not files:
        return None
    return [
        PlanRow(file_id, None, info.name, visible(info.text("title")), (), info.size)
        for file_id in publication.candidates
        if (info := files.get(file_id)) is not None
    ]


def encode(rows: Iterable[PlanRow]) -> bytes:
    data = [
        [r.file_id, r.action.value if r.action else "", r.name, r.title, r.errors, r.size, r.note]
        for r in rows
    ]
    return zlib.compress(json.dumps([FORMAT, data], separators=(",", ":")).encode(), 1)


def in_layout(blob: bytes) -> bool:
    """Whether the blob starts as one in this layout does (read without decoding it all)."""
    try:
        start = zlib.decompressobj().decompress(blob, 16)
    except zlib.error:
        return False
    return start.startswith(f"[{FORMAT},".encode())


def decode(blob: bytes) -> list[PlanRow] | None:
    """The rows, or None when the blob is damaged or in another layout."""
    try:
        layout, data = json.loads(zlib.decompress(blob))
        if layout != FORMAT:
            return None
        actions = {action.value: action for action in Action}
        shared: dict[tuple[str, ...], tuple[str, ...]] = {(): ()}
        rows = []
        for file_id, action, name, title, errors, size, note in data:
            names = tuple(sys.intern(e) for e in errors)
            rows.append(
                PlanRow(
                    int(file_id),
                    actions.get(action),
                    name,
                    title,
                    shared.setdefault(names, names),
                    int(size),
                    sys.intern(note) if note else "",
                )
            )
        return rows
    except (zlib.error, ValueError, TypeError, KeyError):
        return None


class SnapshotStore:
    """The snapshot table on an open state database connection."""

    def __init__(self, db: sqlite3.Connection, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    def save(self, plan: Plan) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO plan_snapshots (platform, taken, rows) VALUES (?, ?, ?)",
            (plan.platform, self._clock(), encode(rows_of(plan))),
        )

    def load(self, platform: str) -> PlanSnapshot | None:
        found = self._db.execute(
            "SELECT taken, rows FROM plan_snapshots WHERE platform = ?", (platform,)
        ).fetchone()
        if found is None:
            return None
        blob = found[1]
        if not in_layout(blob):
            return None
        return PlanSnapshot(platform, float(found[0]), functools.partial(decode, blob))
