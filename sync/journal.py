"""The journal: what we were about to do remotely, and how far it got.

An intent is written (and synced to disk) before every remote mutation; remote ids are
added the moment they exist; the intent is closed when IMatch has the write-back. After
a crash, the unfinished intents say exactly what to look for: an upload to adopt by its
marker, a write-back to finish, or something that never happened.

SQLite in WAL mode under the state directory. Intent ids are 32 lower-case hex digits:
the same value is the marker a platform finds a post by (a machine tag, an Idempotency-Key).
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from sync import paths
from sync.plan_snapshot import SnapshotStore
from sync.state_db import open_state_db, open_state_db_copy
from sync.state_store import StateStore

JOURNAL_FILE = "journal.sqlite"


class State(StrEnum):
    STARTED = "started"
    """Recorded before the remote call: it may or may not have happened."""
    REMOTE_DONE = "remote_done"
    """The platform confirmed; the IMatch write-back is pending."""
    DONE = "done"
    FAILED = "failed"
    """The platform refused: nothing was changed remotely."""
    ABANDONED = "abandoned"
    """Reconciliation found nothing remote to keep."""


OPEN_STATES = (State.STARTED, State.REMOTE_DONE)


@dataclass(frozen=True)
class Intent:
    id: str
    platform: str
    file_id: int
    action: str
    state: State
    remote: Mapping[str, str] = field(default_factory=dict)
    detail: str = ""
    created: float = 0.0
    clears: tuple[str, ...] = ()
    """IMatch categories (the photo's flags) its write-back unassigns."""


class Journal:
    """One journal file. Calls are quick and synchronous; each one commits."""

    def __init__(self, path: Path | None = None, *, db: sqlite3.Connection | None = None) -> None:
        self.path = path or paths.state_dir() / JOURNAL_FILE
        self._db = db if db is not None else open_state_db(self.path)
        self.store = StateStore(self._db)
        """The state store's tables in the same database."""
        self.snapshots = SnapshotStore(self._db)
        """The last plan of each platform, shown at the next start."""

    @classmethod
    def snapshot(cls, path: Path | None = None) -> Journal | None:
        """A copy of the journal in memory, for a dry run (None when there is no journal):
        it plans exactly as a real run would, and nothing it does reaches the file."""
        path = path or paths.state_dir() / JOURNAL_FILE
        db = open_state_db_copy(path)
        return None if db is None else cls(path, db=db)

    def close(self) -> None:
        self._db.close()

    def begin(self, platform: str, file_id: int, action: str, clears: Sequence[str] = ()) -> str:
        """Record an intent before its remote call; returns its id (the marker).

        `clears`: the IMatch categories its write-back will unassign (the photo's flags)."""
        intent_id = uuid.uuid4().hex
        now = time.time()
        self._db.execute(
            "INSERT INTO intents (id, platform, file_id, action, state, created, updated,"
            " clears) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                intent_id,
                platform,
                file_id,
                action,
                State.STARTED.value,
                now,
                now,
                json.dumps(list(clears)),
            ),
        )
        return intent_id

    def checkpoint(self, intent_id: str, remote: Mapping[str, str]) -> None:
        """Add remote ids to an intent the moment they exist."""
        merged = {**self.get(intent_id).remote, **remote}
        self._update(intent_id, remote=json.dumps(merged))

    def remote_done(self, intent_id: str, remote: Mapping[str, str]) -> None:
        merged = {**self.get(intent_id).remote, **remote}
        self._update(intent_id, state=State.REMOTE_DONE.value, remote=json.dumps(merged))

    def done(self, intent_id: str) -> None:
        self._update(intent_id, state=State.DONE.value)

    def failed(self, intent_id: str, detail: str) -> None:
        """The platform refused: nothing was changed remotely. (What a refusal means for
        the photo is kept in the state store, see sync/found_errors.py.)"""
        self._update(intent_id, state=State.FAILED.value, detail=detail)

    def abandoned(self, intent_id: str, detail: str) -> None:
        self._update(intent_id, state=State.ABANDONED.value, detail=detail)

    def get(self, intent_id: str) -> Intent:
        row = self._db.execute(_SELECT + " WHERE id = ?", (intent_id,)).fetchone()
        if row is None:
            raise KeyError(intent_id)
        return _intent(row)

    def unfinished(self, platform: str) -> list[Intent]:
        """Intents of `platform` that a crash may have left open, oldest first."""
        rows = self._db.execute(
            _SELECT + " WHERE platform = ? AND state IN (?, ?) ORDER BY created",
            (platform, *(s.value for s in OPEN_STATES)),
        ).fetchall()
        return [_intent(r) for r in rows]

    def open_intents(self, platform: str, file_id: int) -> list[Intent]:
        """The unfinished intents of one file (the add guard asks just before uploading)."""
        rows = self._db.execute(
            _SELECT + " WHERE platform = ? AND file_id = ? AND state IN (?, ?) ORDER BY created",
            (platform, file_id, *(s.value for s in OPEN_STATES)),
        ).fetchall()
        return [_intent(r) for r in rows]

    def resumable(self, platform: str, file_id: int) -> Mapping[str, str]:
        """Remote ids an abandoned add of this file left behind (e.g. an uploaded media)."""
        row = self._db.execute(
            "SELECT remote FROM intents WHERE platform = ? AND file_id = ? AND action = 'add'"
            " AND state = ? AND remote != '{}' ORDER BY created DESC LIMIT 1",
            (platform, file_id, State.ABANDONED.value),
        ).fetchone()
        return dict(json.loads(row[0])) if row else {}

    def counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT state, COUNT(*) FROM intents GROUP BY state").fetchall()
        return {state: count for state, count in rows}

    def _update(self, intent_id: str, **values: str) -> None:
        assignments = ", ".join(f"{name} = ?" for name in values)
        cursor = self._db.execute(
            f"UPDATE intents SET {assignments}, updated = ? WHERE id = ?",
            (*values.values(), time.time(), intent_id),
        )
        if cursor.rowcount != 1:
            raise KeyError(intent_id)


_SELECT = (
    "SELECT id, platform, file_id, action, state, remote, detail, created, clears FROM intents"
)


def _intent(row: tuple[str, str, int, str, str, str, str, float, str]) -> Intent:
    return Intent(
        id=row[0],
        platform=row[1],
        file_id=row[2],
        action=row[3],
        state=State(row[4]),
        remote=json.loads(row[5]),
        detail=row[6],
        created=row[7],
        clears=tuple(json.loads(row[8] or "[]")),
    )
