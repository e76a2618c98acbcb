"""The published-state table: migration from the previous schema with data kept, writing,
reading and forgetting, and change detection field by field."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sync.journal import Journal
from sync.published import FILE, Published, changed_fields, snapshot
from sync.state_db import MIGRATIONS, SCHEMA_VERSION


def test_a_database_at_the_previous_version_migrates_with_its_data_kept(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with sqlite3.connect(path) as old:
        for statements in MIGRATIONS[:3]:  # the schema before the published state
            for statement in statements:
                old.execute(statement)
        old.execute("PRAGMA user_version = 3")
        old.execute(
            "INSERT INTO intents (id, platform, file_id, action, state, created, updated)"
            " VALUES ('a1', 'flickr', 7, 'add', 'started', 1, 1)"
        )
        old.execute(
            "INSERT INTO runtime_errors VALUES ('flickr', 7, 'upload rejected', 's', '', 1)"
        )
        old.execute("INSERT INTO pending_groups VALUES ('flickr', 7, 'g1', 'throttled', 0, 1)")
    journal = Journal(path)
    store = journal.store
    assert [i.file_id for i in journal.unfinished("flickr")] == [7]
    assert store.runtime_errors("flickr")[7][0].name == "upload rejected"
    assert [p.group_id for p in store.pending_groups("flickr")] == ["g1"]
    assert store.published("flickr") == {}
    assert store.baseline_time("flickr") is None
    journal.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 4


class Post:
    def __init__(self, title: str, tags: tuple[str, ...] = ("lake",)) -> None:
        self.title, self.tags = title, tags

    def published_fields(self) -> dict[str, str]:
        return {"title": self.title, "tags": ", ".join(self.tags)}

    def owned(self) -> dict[str, tuple[str, ...]]:
        return {"tags": self.tags}


def test_published_state_is_written_read_and_forgotten_with_the_photo(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    store = journal.store
    store.remember_published("flickr", 3, snapshot(Post("Fog"), "10:1"))
    store.remember_published("pixelfed", 3, snapshot(Post("Fog"), "10:1"))
    read = store.published("flickr")[3]
    assert read.shown == {"title": "Fog", "tags": "lake"}
    assert read.owns("tags") == ("lake",)
    assert read.fingerprint == "10:1"
    assert "Fog" not in read.digests["title"]  # a digest, not the text
    store.forget_file("flickr", 3)
    assert store.published("flickr") == {}
    assert 3 in store.published("pixelfed")  # per platform
    journal.close()


def test_changed_fields_name_what_differs_and_the_file() -> None:
    was = snapshot(Post("Fog", ("lake", "pines")), "10:1")
    assert changed_fields(was, Post("Fog", ("lake", "pines")), "10:1") == ()
    assert changed_fields(was, Post("Mist", ("lake", "pines")), "10:1") == ("title",)
    assert changed_fields(was, Post("Fog", ("lake",)), "11:2") == ("tags", FILE)
    # A field a platform did not have before flags nothing while it is empty.
    older = Published(digests={"title": was.digests["title"]})
    assert changed_fields(older, Post("Fog", ()), "") == ()
