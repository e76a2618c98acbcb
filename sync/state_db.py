"""The state database: one SQLite file under the state folder, schema versioned.

It holds the journal's intents and the state store's tables (sync/state_store.py).
`open_state_db()` creates it private to the user (0600 in a 0700 folder on POSIX),
switches it to WAL mode with full syncs, and brings its schema up to date with the
numbered migrations below (SQLite's `user_version` says which have run). A database
written by a newer imatch-socials is refused rather than misread.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import suppress
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: the journal's intents (the first released schema).
    (
        """CREATE TABLE IF NOT EXISTS intents (
            id TEXT PRIMARY KEY,
            platform TEXT NOT NULL,
            file_id INTEGER NOT NULL,
            action TEXT NOT NULL,
            state TEXT NOT NULL,
            remote TEXT NOT NULL DEFAULT '{}',
            detail TEXT NOT NULL DEFAULT '',
            fingerprint TEXT NOT NULL DEFAULT '',
            created REAL NOT NULL,
            updated REAL NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS open_intents ON intents (platform, state)",
    ),
    # 2: the state store: errors found while acting, and group adds still to be made.
    (
        """CREATE TABLE runtime_errors (
            platform TEXT NOT NULL,
            file_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            stamp TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT '',
            created REAL NOT NULL,
            PRIMARY KEY (platform, file_id, name)
        )""",
        """CREATE TABLE pending_groups (
            platform TEXT NOT NULL,
            file_id INTEGER NOT NULL,
            group_id TEXT NOT NULL,
            reason TEXT NOT NULL,
            due REAL NOT NULL DEFAULT 0,
            created REAL NOT NULL,
            PRIMARY KEY (platform, file_id, group_id)
        )""",
    ),
    # 3: the IMatch categories an intent's write-back unassigns (its flags), so finishing
    # it after a crash clears exactly those, and the index the add guard reads.
    (
        "ALTER TABLE intents ADD COLUMN clears TEXT NOT NULL DEFAULT '[]'",
        "CREATE INDEX IF NOT EXISTS intents_of_file ON intents (platform, file_id, state)",
    ),
    # 4: what was last published per platform and file (change detection, three-way
    # merges), and when a platform's baseline was recorded.
    (
        """CREATE TABLE published (
            platform TEXT NOT NULL,
            file_id INTEGER NOT NULL,
            digests TEXT NOT NULL DEFAULT '{}',
            shown TEXT NOT NULL DEFAULT '{}',
            fingerprint TEXT NOT NULL DEFAULT '',
            ours TEXT NOT NULL DEFAULT '{}',
            source TEXT NOT NULL DEFAULT 'run',
            image TEXT NOT NULL DEFAULT '',
            updated REAL NOT NULL,
            PRIMARY KEY (platform, file_id)
        )""",
        """CREATE TABLE baselines (
            platform TEXT PRIMARY KEY,
            photos INTEGER NOT NULL,
            created REAL NOT NULL
        )""",
    ),
    # 5: the last plan's table rows per platform (sync/plan_snapshot.py), shown at start.
    (
        """CREATE TABLE plan_snapshots (
            platform TEXT PRIMARY KEY,
            taken REAL NOT NULL,
            rows BLOB NOT NULL
        )""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class StateDatabaseError(Exception):
    """The state database cannot be used (written by a newer version, or damaged)."""


def make_private_folder(folder: Path) -> None:
    """Create `folder` (and parents) and make it 0700 on POSIX."""
    folder.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(folder, PRIVATE_FOLDER)


def make_private_file(path: Path) -> None:
    """Create `path` if missing and make it 0600 on POSIX (before anything is written)."""
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE))
    if os.name == "posix":
        os.chmod(path, PRIVATE_FILE)


def write_private_file(path: Path, text: str) -> None:
    """Replace `path` with `text` as a file only its owner can read: written whole to a
    new private file beside it, then renamed over it (a reader never sees half of it)."""
    temporary = path.with_suffix(".tmp")
    with suppress(OSError):
        temporary.unlink()
    descriptor = os.open(temporary, os.O_CREAT | os.O_WRONLY | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.replace(temporary, path)


def open_state_db_copy(path: Path) -> sqlite3.Connection | None:
    """An in-memory copy of the state database, brought up to date, or None if there is
    none. A dry run plans from it exactly as a real run would, and changes nothing."""
    if not path.is_file():
        return None
    source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
    try:
        source.backup(copy)
    except sqlite3.DatabaseError as error:
        copy.close()
        raise _unreadable(path, error) from None
    finally:
        source.close()
    migrate(copy)
    return copy


def _unreadable(path: Path, error: sqlite3.DatabaseError) -> Exception:
    """A file that is no SQLite database, named with what to do; other errors as they are."""
    if "not a database" not in str(error):
        return error
    return StateDatabaseError(
        f"{path} is not an imatch-socials state database (damaged, or another file): "
        "restore it from a backup, or move it away and imatch-socials starts a new one"
    )


def open_state_db(path: Path) -> sqlite3.Connection:
    """Open (creating when needed) and migrate the state database at `path`."""
    make_private_folder(path.parent)
    make_private_file(path)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
    try:
        db.execute("PRAGMA journal_mode=WAL")
    except sqlite3.DatabaseError as error:
        db.close()
        raise _unreadable(path, error) from None
    # FULL: an intent must be on disk before the remote call it announces.
    db.execute("PRAGMA synchronous=FULL")
    for companion in ("-wal", "-shm"):
        sidecar = path.with_name(path.name + companion)
        if sidecar.exists() and os.name == "posix":
            os.chmod(sidecar, PRIVATE_FILE)
    migrate(db)
    return db


def migrate(db: sqlite3.Connection) -> int:
    """Run the migrations `db` has not had yet; returns the schema version."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StateDatabaseError(
            f"the state database was written by a newer imatch-socials (schema {version}, "
            f"this one knows {SCHEMA_VERSION}): update imatch-socials"
        )
    for number in range(version, SCHEMA_VERSION):
        db.execute("BEGIN IMMEDIATE")
        try:
            current = int(db.execute("PRAGMA user_version").fetchone()[0])
            if current > number:  # another process migrated meanwhile
                db.execute("ROLLBACK")
                continue
            for statement in MIGRATIONS[number]:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number + 1}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    return SCHEMA_VERSION
