"""The state store: what a run learns that IMatch does not hold, kept between runs.

It lives in the state database beside the journal (sync/state_db.py):
- runtime errors: error names found while acting (e.g. a post not found),
  kept until that photo next succeeds or changes, so `__errors|<name>` stays exact after
  partial, cancelled and `--only` runs. `stamp` identifies the photo as it was when the
  error was found (e.g. its file fingerprint); a different stamp means it changed.
- pending group adds: group memberships a platform deferred (throttled, moderated), with
  the time they are due to be tried again;
- what was published: per photo, a digest and the text of each rendered field, the file's
  fingerprint and the tags, albums and groups we set (sync/published.py), written at
  every success and forgotten on delete; and when each platform's baseline was recorded.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from sync.published import Published


@dataclass(frozen=True)
class FoundError:
    name: str
    stamp: str = ""
    detail: str = ""


@dataclass(frozen=True)
class PendingGroup:
    file_id: int
    group_id: str
    reason: str
    due: float
    """Epoch seconds after which the add is tried again (0: next run)."""


class StateStore:
    """The store's tables on an open state database connection."""

    def __init__(self, db: sqlite3.Connection, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock

    # --- errors found while acting -------------------------------------------------------

    def remember_errors(
        self, platform: str, file_id: int, names: Iterable[str], stamp: str = "", detail: str = ""
    ) -> None:
        now = self._clock()
        self._db.executemany(
            "INSERT OR REPLACE INTO runtime_errors (platform, file_id, name, stamp, detail,"
            " created) VALUES (?, ?, ?, ?, ?, ?)",
            [(platform, file_id, name, stamp, detail, now) for name in names],
        )

    def forget_errors(self, platform: str, file_ids: Iterable[int]) -> None:
        self._db.executemany(
            "DELETE FROM runtime_errors WHERE platform = ? AND file_id = ?",
            [(platform, file_id) for file_id in file_ids],
        )

    def runtime_errors(self, platform: str) -> dict[int, tuple[FoundError, ...]]:
        rows = self._db.execute(
            "SELECT file_id, name, stamp, detail FROM runtime_errors WHERE platform = ?"
            " ORDER BY file_id, name",
            (platform,),
        ).fetchall()
        found: dict[int, list[FoundError]] = {}
        for file_id, name, stamp, detail in rows:
            found.setdefault(file_id, []).append(FoundError(name, stamp, detail))
        return {file_id: tuple(errors) for file_id, errors in found.items()}

    # --- group adds still to be made -----------------------------------------------------

    def defer_group(
        self, platform: str, file_id: int, group_id: str, reason: str, due: float = 0.0
    ) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO pending_groups (platform, file_id, group_id, reason, due,"
            " created) VALUES (?, ?, ?, ?, ?, ?)",
            (platform, file_id, group_id, reason, due, self._clock()),
        )

    def settle_group(self, platform: str, file_id: int, group_id: str) -> None:
        self._db.execute(
            "DELETE FROM pending_groups WHERE platform = ? AND file_id = ? AND group_id = ?",
            (platform, file_id, group_id),
        )

    def pending_groups(self, platform: str) -> list[PendingGroup]:
        rows = self._db.execute(
            "SELECT file_id, group_id, reason, due FROM pending_groups WHERE platform = ?"
            " ORDER BY due, file_id, group_id",
            (platform,),
        ).fetchall()
        return [PendingGroup(*row) for row in rows]

    # --- what was published ----------------------------------------------------------

    def remember_published(
        self, platform: str, file_id: int, published: Published, moved_from: Iterable[int] = ()
    ) -> None:
        self.remember_many_published(platform, {file_id: published}, moved_from)

    def remember_many_published(
        self, platform: str, photos: Mapping[int, Published], moved_from: Iterable[int] = ()
    ) -> None:
        """`moved_from`: rows of files the photos' Socials assignments moved away from
        (sync/plan.py `moved_state_keys`), dropped in the same transaction."""
        now = self._clock()
        stale = [(platform, file_id) for file_id in set(moved_from) if file_id not in photos]
        rows = [
            (
                platform,
                file_id,
                json.dumps(dict(p.digests), sort_keys=True),
                json.dumps(dict(p.shown), ensure_ascii=False),
                p.fingerprint,
                json.dumps({kind: list(values) for kind, values in p.ours.items()}),
                p.source,
                p.image,
                now,
            )
            for file_id, p in photos.items()
        ]
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO published (platform, file_id, digests, shown,"
                " fingerprint, ours, source, image, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self._db.executemany("DELETE FROM published WHERE platform = ? AND file_id = ?", stale)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def published(self, platform: str) -> dict[int, Published]:
        """File id -> what was last published of it on `platform`."""
        rows = self._db.execute(
            "SELECT file_id, digests, shown, fingerprint, ours, source, image FROM published"
            " WHERE platform = ?",
            (platform,),
        ).fetchall()
        return {
            file_id: Published(
                digests=json.loads(digests),
                shown=json.loads(shown),
                fingerprint=fingerprint,
                ours={kind: tuple(values) for kind, values in json.loads(ours).items()},
                source=source,
                image=image,
            )
            for file_id, digests, shown, fingerprint, ours, source, image in rows
        }

    def published_count(self, platform: str) -> int:
        row = self._db.execute(
            "SELECT COUNT(*) FROM published WHERE platform = ?", (platform,)
        ).fetchone()
        return int(row[0])

    def record_baseline(self, platform: str, photos: int) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO baselines (platform, photos, created) VALUES (?, ?, ?)",
            (platform, photos, self._clock()),
        )

    def baseline_time(self, platform: str) -> float | None:
        """When the platform's baseline was recorded (epoch seconds), None if never."""
        row = self._db.execute(
            "SELECT created FROM baselines WHERE platform = ?", (platform,)
        ).fetchone()
        return None if row is None else float(row[0])

    def forget_file(self, platform: str, file_id: int, moved_from: Iterable[int] = ()) -> None:
        """Everything about one photo (it was deleted from the platform); `moved_from`:
        files whose published rows were the photo's before its assignment moved."""
        for table in ("runtime_errors", "pending_groups", "published"):
            self._db.execute(
                f"DELETE FROM {table} WHERE platform = ? AND file_id = ?", (platform, file_id)
            )
        self._db.executemany(
            "DELETE FROM published WHERE platform = ? AND file_id = ?",
            [(platform, other) for other in moved_from],
        )
