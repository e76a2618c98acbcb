"""What was published is recorded when reconciliation finishes an interrupted run's work
too, and a repost interrupted after its delete is finished: the photo is posted again."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image

from sandbox.world import SandboxWorld
from sync.journal import Journal
from tests.e2e.test_change_detection import first_photo, photo_entry, world
from tests.sync_checks import PLATFORMS, records, remote_posts, sync_once

__all__ = ["world"]


def journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "home" / "state" / "journal.sqlite")


def test_an_adopted_upload_gets_its_published_state(world: SandboxWorld, tmp_path: Path) -> None:
    file_id = first_photo(world)
    # A run uploaded it and was killed before IMatch heard of it.
    photo = world.flickr.add_photo(world.flickr_login.user_nsid, title="uploaded")
    state = journal(tmp_path)
    intent = state.begin("flickr", file_id, "add")
    state.remote_done(intent, {"photo_id": photo.id, "url": ""})
    state.close()

    code, summary = sync_once(platforms=["flickr"])
    assert code == 0, summary
    assert summary["platforms"]["flickr"]["adopted"] == 1
    assert records(world, "flickr")[file_id][0]["photo_id"] == photo.id
    state = journal(tmp_path)
    try:
        assert file_id in state.store.published("flickr")
    finally:
        state.close()
    _, dry = sync_once(dry_run=True, platforms=["flickr"])
    assert photo_entry(dry, "flickr", file_id)["action"] == "unchanged"


def test_a_repost_interrupted_after_its_delete_posts_the_photo_again(
    world: SandboxWorld, tmp_path: Path
) -> None:
    assert sync_once(platforms=["pixelfed"])[0] == 0
    file_id = first_photo(world)
    [record] = records(world, "pixelfed")[file_id]
    path = Path(world.imatch.db.files[file_id].file_name)
    Image.new("RGB", (48, 32), (20, 20, 200)).save(path, "JPEG")
    # What the killed repost left: the old post deleted and journaled, IMatch not told.
    state = journal(tmp_path)
    intent = state.begin("pixelfed", file_id, "repost")
    state.remote_done(intent, {"media_id": record["media_id"], "status_id": record["status_id"]})
    state.close()
    remote_posts(world, "pixelfed")[record["status_id"]].deleted_at = time.time()

    code, summary = sync_once(platforms=["pixelfed"])
    assert code == 0, summary
    assert summary["platforms"]["pixelfed"]["completed"] == 1
    assert summary["platforms"]["pixelfed"]["added"] == 1
    [again] = records(world, "pixelfed")[file_id]
    assert again["status_id"] != record["status_id"]
    live = remote_posts(world, "pixelfed")
    assert record["status_id"] not in live
    recorded = {r[0]["status_id"] for r in records(world, "pixelfed").values()}
    assert recorded == set(live)  # every post recorded once, nothing posted twice
    _, dry = sync_once(dry_run=True, platforms=["pixelfed"])
    assert photo_entry(dry, "pixelfed", file_id)["action"] == "unchanged"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_delete_finished_by_reconciliation_forgets_what_was_published(
    world: SandboxWorld, tmp_path: Path, platform: str
) -> None:
    assert sync_once(platforms=[platform])[0] == 0
    file_id = first_photo(world)
    [record] = records(world, platform)[file_id]
    state = journal(tmp_path)
    assert file_id in state.store.published(platform)
    # What a run killed after the platform deleted the post left: IMatch not told.
    intent = state.begin(platform, file_id, "delete")
    state.remote_done(intent, {k: v for k, v in record.items() if k not in ("posted", "url")})
    state.close()

    code, summary = sync_once(platforms=[platform])
    assert code == 0, summary
    assert summary["platforms"][platform]["completed"] == 1
    assert file_id not in records(world, platform)
    state = journal(tmp_path)
    try:
        assert file_id not in state.store.published(platform)
    finally:
        state.close()
