"""The state database: private files, versioned schema, migrations from every version."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from sync.journal import Journal
from sync.published import Published
from sync.state_db import MIGRATIONS, SCHEMA_VERSION, StateDatabaseError, open_state_db

LEGACY_INTENTS = """CREATE TABLE intents (
    id TEXT PRIMARY KEY, platform TEXT NOT NULL, file_id INTEGER NOT NULL,
    action TEXT NOT NULL, state TEXT NOT NULL, remote TEXT NOT NULL DEFAULT '{}',
    detail TEXT NOT NULL DEFAULT '', fingerprint TEXT NOT NULL DEFAULT '',
    created REAL NOT NULL, updated REAL NOT NULL)"""


def test_a_journal_written_before_versioning_is_migrated_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "state" / "journal.sqlite"
    path.parent.mkdir()
    with sqlite3.connect(path) as old:
        old.execute(LEGACY_INTENTS)
        old.execute(
            "INSERT INTO intents VALUES ('a1', 'flickr', 7, 'add', 'started', '{}', '', '', 1, 1)"
        )
    journal = Journal(path)
    assert [i.file_id for i in journal.unfinished("flickr")] == [7]
    journal.store.remember_errors("flickr", 7, ["photo not found on flickr"], stamp="s1")
    assert journal.store.runtime_errors("flickr")[7][0].name == "photo not found on flickr"
    journal.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StateDatabaseError, match="newer imatch-socials"):
        open_state_db(path)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_state_files_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    Journal(folder / "journal.sqlite").close()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for path in folder.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_pending_groups_and_forgetting_a_file(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    store = journal.store
    store.defer_group("flickr", 3, "123@N01", "throttled", due=100.0)
    store.defer_group("flickr", 4, "123@N01", "moderated")
    assert [(p.file_id, p.reason) for p in store.pending_groups("flickr")] == [
        (4, "moderated"),
        (3, "throttled"),
    ]
    store.settle_group("flickr", 4, "123@N01")
    store.remember_errors("flickr", 3, ["upload rejected"])
    store.forget_file("flickr", 3)
    assert store.pending_groups("flickr") == []
    assert store.runtime_errors("flickr") == {}


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
def test_a_database_at_every_earlier_version_migrates_with_its_data_kept(
    tmp_path: Path, version: int
) -> None:
    """Each released schema, with a row in each table it had, opens at today's version
    with those rows readable and every newer table usable."""
    path = tmp_path / "journal.sqlite"
    with sqlite3.connect(path) as old:
        for statements in MIGRATIONS[: max(version, 1)]:
            for statement in statements:
                old.execute(statement)
        old.execute(f"PRAGMA user_version = {version}")
        old.execute(
            "INSERT INTO intents (id, platform, file_id, action, state, created, updated)"
            " VALUES ('a1', 'mastodon', 7, 'add', 'started', 1, 1)"
        )
        if version >= 2:
            old.execute(
                "INSERT INTO runtime_errors VALUES ('flickr', 7, 'upload rejected', '', '', 1)"
            )
            old.execute("INSERT INTO pending_groups VALUES ('flickr', 7, 'g1', 'throttled', 0, 1)")
        if version >= 4:
            old.execute(
                "INSERT INTO published (platform, file_id, digests, shown, fingerprint, updated)"
                " VALUES ('pixelfed', 7, ?, ?, '1:2', 1)",
                ('{"caption": "d"}', '{"caption": "Fog"}'),
            )
            old.execute("INSERT INTO baselines VALUES ('pixelfed', 1, 5)")
    journal = Journal(path)
    store = journal.store
    assert [i.file_id for i in journal.unfinished("mastodon")] == [7]
    if version >= 2:
        assert store.runtime_errors("flickr")[7][0].name == "upload rejected"
        assert [p.group_id for p in store.pending_groups("flickr")] == ["g1"]
    if version >= 4:
        assert store.published("pixelfed")[7].shown == {"caption": "Fog"}
        assert store.baseline_time("pixelfed") == 5
    # Every table of today's schema takes writes.
    store.remember_errors("mastodon", 8, ["upload rejected"])
    store.defer_group("flickr", 8, "g2", "throttled")
    store.remember_published("mastodon", 8, Published(digests={"caption": "x"}))
    store.record_baseline("mastodon", 1)
    assert 8 in store.published("mastodon")
    journal.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
