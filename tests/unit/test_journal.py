"""The journal: intents survive the process, and say what a crash left open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sync.journal import Journal, State


def test_intent_lifecycle_and_unfinished(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    first = journal.begin("flickr", 7, "add")
    assert len(first) == 32
    assert first == first.lower()
    journal.checkpoint(first, {"media_id": "m1"})
    journal.remote_done(first, {"photo_id": "p1"})
    second = journal.begin("flickr", 8, "delete")
    journal.begin("pixelfed", 9, "add")
    open_intents = journal.unfinished("flickr")
    assert [i.id for i in open_intents] == [first, second]
    assert open_intents[0].state is State.REMOTE_DONE
    assert open_intents[0].remote == {"media_id": "m1", "photo_id": "p1"}
    journal.done(first)
    journal.failed(second, "upload rejected")
    assert journal.unfinished("flickr") == []
    journal.close()

    again = Journal(tmp_path / "j.sqlite")
    assert [i.file_id for i in again.unfinished("pixelfed")] == [9]
    assert again.counts() == {"done": 1, "failed": 1, "started": 1}


def test_wal_mode_and_durable_sync(tmp_path: Path) -> None:
    Journal(tmp_path / "j.sqlite").close()
    with sqlite3.connect(tmp_path / "j.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_resumable_ids_of_abandoned_adds(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    intent = journal.begin("pixelfed", 3, "add")
    journal.checkpoint(intent, {"media_id": "m9"})
    assert journal.resumable("pixelfed", 3) == {}
    journal.abandoned(intent, "nothing was posted")
    assert journal.resumable("pixelfed", 3) == {"media_id": "m9"}
    assert journal.resumable("pixelfed", 4) == {}


def test_intents_keep_the_flags_their_write_back_clears(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.sqlite")
    intent = journal.begin("flickr", 4, "add", ["Socials|flickr|_update"])
    assert journal.get(intent).clears == ("Socials|flickr|_update",)
    assert [i.id for i in journal.open_intents("flickr", 4)] == [intent]
    journal.done(intent)
    assert journal.open_intents("flickr", 4) == []


def test_a_snapshot_plans_like_the_journal_and_never_writes_it(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    assert Journal.snapshot(path) is None
    assert not path.exists()
    journal = Journal(path)
    journal.begin("flickr", 1, "add")
    journal.store.remember_errors("flickr", 2, ["upload rejected"], "stamp")
    journal.close()
    before = path.read_bytes()
    copy = Journal.snapshot(path)
    assert copy is not None
    assert [i.file_id for i in copy.unfinished("flickr")] == [1]
    assert copy.store.runtime_errors("flickr")[2][0].name == "upload rejected"
    copy.begin("flickr", 3, "add")  # a dry run may do this; the file never sees it
    copy.close()
    assert [i.file_id for i in Journal(path).unfinished("flickr")] == [1]
    assert path.read_bytes() == before
