"""Change detection end to end over real HTTP: a photo edited in IMatch after it was
published is `changed` with the fields that differ; `detect_changes = "publish"` updates
it (on flickr with one call for a new title) and the run after has nothing to do; tags
the user added on flickr survive while keywords removed in IMatch go; `baseline` makes no
platform call; a changed file on pixelfed is never reposted unless asked for."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from imatch.client import IMatchClient
from sandbox.flickr_state import build_tags
from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from sync.baseline import run_baseline
from sync.journal import Journal
from tests.sync_checks import (
    edits_of,
    post_text,
    records,
    remote_posts,
    sync_once,
    without_rate_limits,
)
from tests.unit.test_file_identity import with_metadata


def configure(world: SandboxWorld, home: Path, **detect: str) -> None:
    modes = {platform: {"detect_changes": mode} for platform, mode in detect.items()}
    world.configure_home(home, without_rate_limits(**modes))


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxWorld]:
    library = tmp_path / "library"
    generate_library(library, 3, cases=False)
    with sandbox_world(library) as world:
        configure(world, tmp_path / "home")
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        yield world


def edit_metadata(world: SandboxWorld, file_id: int, *operations: dict[str, Any]) -> None:
    """Change a photo in IMatch as a user would (the simulator's POST /v1/metadata)."""
    import json

    async def send() -> None:
        async with IMatchClient(world.imatch_url, user="tester", retry_delay=0) as client:
            body = await client.call(
                "POST", "/v1/metadata", {"id": str(file_id), "tags": json.dumps(operations)}
            )
            assert body == {"result": "ok"}

    asyncio.run(send())


def photo_entry(summary: dict[str, Any], platform: str, file_id: int) -> dict[str, Any]:
    photos = summary["platforms"][platform]["photos"]
    return next(p for p in photos if p["id"] == file_id)


def first_photo(world: SandboxWorld) -> int:
    return min(world.imatch.db.categories["Socials|flickr"].direct)


def calls_about(world: SandboxWorld, mark: int, photo_id: str) -> list[str]:
    return [
        str(r.params.get("method", r.path))
        for r in world.flickr.log.records[mark:]
        if r.params.get("photo_id") == photo_id
    ]


def test_a_new_title_is_changed_then_published_with_one_flickr_call(
    world: SandboxWorld, tmp_path: Path
) -> None:
    assert sync_once()[0] == 0
    file_id = first_photo(world)
    photo_id = records(world, "flickr")[file_id][0]["photo_id"]
    edit_metadata(world, file_id, {"tag": "title", "op": "set", "value": "Evening fog"})

    code, dry = sync_once(dry_run=True)
    assert code == 0
    entry = photo_entry(dry, "flickr", file_id)
    assert entry["action"] == "changed"
    assert list(entry["changed"]) == ["title"]
    assert entry["changed"]["title"]["now"] == "Evening fog"
    assert dry["platforms"]["flickr"]["plan"]["changed"] == 1
    # The default (show): a run shows it and leaves it alone.
    mark = len(world.flickr.log)
    assert sync_once(platforms=["flickr"])[0] == 0
    assert calls_about(world, mark, photo_id) == []
    assert world.flickr.state.photos[photo_id].title != "Evening fog"

    configure(world, tmp_path / "home", flickr="publish")
    mark = len(world.flickr.log)
    code, run = sync_once(platforms=["flickr"])
    assert code == 0
    assert calls_about(world, mark, photo_id) == ["flickr.photos.setMeta"]
    assert world.flickr.state.photos[photo_id].title == "Evening fog"
    assert run["platforms"]["flickr"]["metadata"] == 1

    code, after = sync_once(dry_run=True, platforms=["flickr"])
    assert photo_entry(after, "flickr", file_id)["action"] == "unchanged"
    assert after["platforms"]["flickr"]["plan"]["changed"] == 0


def test_only_changed_runs_changed_photos_in_show_mode(world: SandboxWorld) -> None:
    assert sync_once()[0] == 0
    file_id = first_photo(world)
    photo_id = records(world, "flickr")[file_id][0]["photo_id"]
    edit_metadata(world, file_id, {"tag": "description", "op": "set", "value": "New words."})
    code, _ = sync_once(platforms=["flickr"], only=["changed"])
    assert code == 0
    assert "New words." in world.flickr.state.photos[photo_id].description
    assert sync_once(dry_run=True)[1]["platforms"]["flickr"]["plan"]["changed"] == 0


def test_a_tag_added_on_flickr_survives_while_a_keyword_removed_in_imatch_goes(
    world: SandboxWorld, tmp_path: Path
) -> None:
    file_id = first_photo(world)
    keyword = {"tag": "hierarchicalkeywords", "value": "Zoo|Zebra crossing"}
    edit_metadata(world, file_id, {**keyword, "op": "add"})
    assert sync_once(platforms=["flickr"])[0] == 0
    photo_id = records(world, "flickr")[file_id][0]["photo_id"]
    photo = world.flickr.state.photos[photo_id]
    assert {"zoo", "zebracrossing"} <= {t.normalized for t in photo.tags}
    # By hand on flickr: a tag of the user's own.
    photo.tags += build_tags(["handmade"], photo.owner, photo.id, world.flickr.state.next_number)

    edit_metadata(world, file_id, {**keyword, "op": "remove"})
    configure(world, tmp_path / "home", flickr="publish")
    assert sync_once(platforms=["flickr"])[0] == 0
    tags = {t.normalized for t in world.flickr.state.photos[photo_id].tags}
    assert "handmade" in tags
    assert not {"zoo", "zebracrossing"} & tags
    assert any(t.startswith("imatchsocials:intent=") for t in tags)  # our machine tag stays


@pytest.mark.parametrize("platform", ["pixelfed", "mastodon"])
def test_a_changed_file_on_pixelfed_is_reposted_only_when_asked(
    world: SandboxWorld, tmp_path: Path, platform: str
) -> None:
    """pixelfed and Mastodon cannot replace a published image: `publish` alone never
    reposts (the post stays, a warning names the flag); the flag reposts it once."""
    assert sync_once(platforms=[platform])[0] == 0
    file_id = first_photo(world)
    status_id = records(world, platform)[file_id][0]["status_id"]
    path = Path(world.imatch.db.files[file_id].file_name)
    Image.new("RGB", (48, 32), (200, 30, 30)).save(path, "JPEG")  # edited in an image editor

    code, dry = sync_once(dry_run=True, platforms=[platform])
    assert photo_entry(dry, platform, file_id)["action"] == "changed"
    assert list(photo_entry(dry, platform, file_id)["changed"]) == ["file"]

    configure(world, tmp_path / "home", **{platform: "publish"})
    sim = getattr(world, platform)
    mark = len(sim.log)
    code, run = sync_once(platforms=[platform])
    assert code == 0
    assert records(world, platform)[file_id][0]["status_id"] == status_id
    assert not [r for r in sim.log.records[mark:] if r.method == "DELETE"]
    assert any("--repost-changed-files" in w for w in run["platforms"][platform]["warnings"])
    dry = sync_once(dry_run=True, platforms=[platform])[1]
    assert photo_entry(dry, platform, file_id)["changed"].keys() == {"file"}

    code, run = sync_once(platforms=[platform], repost_changed_files=True)
    assert code == 0
    assert run["platforms"][platform]["reposted"] == 1
    new_status = records(world, platform)[file_id][0]["status_id"]
    assert new_status != status_id
    assert status_id not in remote_posts(world, platform)
    assert len(records(world, platform)[file_id]) == 1
    dry = sync_once(dry_run=True, platforms=[platform])[1]
    assert photo_entry(dry, platform, file_id)["action"] == "unchanged"


@pytest.mark.parametrize("platform", ["pixelfed", "mastodon"])
def test_a_new_title_on_pixelfed_and_mastodon_is_one_edit_of_the_same_post_with_publish(
    world: SandboxWorld, tmp_path: Path, platform: str
) -> None:
    assert sync_once(platforms=[platform])[0] == 0
    file_id = first_photo(world)
    status_id = records(world, platform)[file_id][0]["status_id"]
    edit_metadata(world, file_id, {"tag": "title", "op": "set", "value": "Evening fog"})
    _, dry = sync_once(dry_run=True, platforms=[platform])
    entry = photo_entry(dry, platform, file_id)
    assert entry["action"] == "changed"
    assert list(entry["changed"]) == ["caption"]
    assert "Evening fog" in entry["changed"]["caption"]["now"]
    assert "Evening fog" not in entry["changed"]["caption"]["was"]

    configure(world, tmp_path / "home", **{platform: "publish"})
    post = remote_posts(world, platform)[status_id]
    edits = edits_of(platform, post)
    code, run = sync_once(platforms=[platform])
    assert code == 0, run
    assert run["platforms"][platform]["metadata"] == 1
    assert run["platforms"][platform]["reposted"] == 0
    assert records(world, platform)[file_id][0]["status_id"] == status_id
    post = remote_posts(world, platform)[status_id]
    assert "Evening fog" in post_text(platform, post)
    assert edits_of(platform, post) == edits + 1
    _, after = sync_once(dry_run=True, platforms=[platform])
    assert photo_entry(after, platform, file_id)["action"] == "unchanged"


def test_metadata_imatch_writes_into_the_file_is_not_a_new_file(world: SandboxWorld) -> None:
    assert sync_once()[0] == 0
    file_id = first_photo(world)
    edit_metadata(world, file_id, {"tag": "title", "op": "set", "value": "Evening fog"})
    # IMatch's write-back puts the new title into the file's XMP: its size and time change.
    path = Path(world.imatch.db.files[file_id].file_name)
    path.write_bytes(with_metadata(path.read_bytes(), b"<x:xmpmeta>Evening fog</x:xmpmeta>"))
    _, dry = sync_once(dry_run=True)
    for platform in ("flickr", "pixelfed"):
        changed = photo_entry(dry, platform, file_id)["changed"]
        assert "file" not in changed, platform
        assert changed  # the title (flickr) or the caption (pixelfed)


def test_an_album_flickr_refused_stays_changed_until_it_is_added(world: SandboxWorld) -> None:
    file_id = first_photo(world)
    album = world.imatch.db.ensure_category("Socials|flickr|albums|Gone on flickr")
    album.description = "72157600000000999"  # an album that is not on flickr (any more)
    world.imatch.db.assign(album.path, [file_id])
    code, run = sync_once(platforms=["flickr"])
    assert code == 0
    assert any("72157600000000999" in w for w in run["platforms"]["flickr"]["warnings"])
    _, dry = sync_once(dry_run=True, platforms=["flickr"])
    entry = photo_entry(dry, "flickr", file_id)
    assert entry["action"] == "changed"
    assert list(entry["changed"]) == ["albums"]


def test_a_changed_file_on_flickr_is_replaced_with_publish(
    world: SandboxWorld, tmp_path: Path
) -> None:
    assert sync_once(platforms=["flickr"])[0] == 0
    file_id = first_photo(world)
    photo_id = records(world, "flickr")[file_id][0]["photo_id"]
    path = Path(world.imatch.db.files[file_id].file_name)
    Image.new("RGB", (48, 32), (200, 200, 30)).save(path, "JPEG")
    _, dry = sync_once(dry_run=True, platforms=["flickr"])
    assert list(photo_entry(dry, "flickr", file_id)["changed"]) == ["file"]

    configure(world, tmp_path / "home", flickr="publish")
    code, run = sync_once(platforms=["flickr"])
    assert code == 0
    assert world.flickr.log.count("/services/replace/") == 1
    assert run["platforms"]["flickr"]["updated"] == 1
    assert records(world, "flickr")[file_id][0]["photo_id"] == photo_id  # the same photo
    _, after = sync_once(dry_run=True, platforms=["flickr"])
    assert photo_entry(after, "flickr", file_id)["action"] == "unchanged"


def test_detect_changes_off_looks_for_nothing(world: SandboxWorld, tmp_path: Path) -> None:
    assert sync_once(platforms=["flickr"])[0] == 0
    file_id = first_photo(world)
    edit_metadata(world, file_id, {"tag": "title", "op": "set", "value": "Evening fog"})
    configure(world, tmp_path / "home", flickr="off")
    _, dry = sync_once(dry_run=True, platforms=["flickr"])
    assert photo_entry(dry, "flickr", file_id)["action"] == "unchanged"
    assert dry["platforms"]["flickr"]["plan"]["changed"] == 0


def test_a_bad_detect_changes_value_is_a_config_error_naming_the_key(
    world: SandboxWorld, tmp_path: Path
) -> None:
    configure(world, tmp_path / "home", flickr="always")
    code, summary = sync_once(dry_run=True)
    assert code == 2
    assert "flickr.detect_changes" in summary["problem"]
    assert "'publish'" in summary["problem"]


@pytest.fixture
def posted_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxWorld]:
    library = tmp_path / "library"
    generate_library(library, 1000, cases=False, posted_share=1.0)
    with sandbox_world(library) as world:
        configure(world, tmp_path / "home")
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        yield world


def test_baseline_of_1000_posted_photos_makes_no_platform_call(
    posted_world: SandboxWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    world = posted_world
    posted = {f for f, r in records(world, "flickr").items() if r}
    assert len(posted) == 1000
    assert run_baseline() == 0
    assert len(world.flickr.log) == 0
    assert len(world.pixelfed.log) == 0
    assert len(world.mastodon.log) == 0
    assert "1,000 posted photos" in capsys.readouterr().out
    journal = Journal()
    try:
        assert set(journal.store.published("flickr")) == posted
        assert journal.store.published_count("pixelfed") == 1000
        assert journal.store.published_count("mastodon") == 1000
        assert journal.store.baseline_time("flickr") is not None
    finally:
        journal.close()
    _, dry = sync_once(dry_run=True)
    assert dry["platforms"]["flickr"]["plan"]["changed"] == 0
    edit_metadata(world, min(posted), {"tag": "title", "op": "set", "value": "Renamed"})
    _, dry = sync_once(dry_run=True)
    assert dry["platforms"]["flickr"]["plan"]["changed"] == 1


@pytest.mark.parametrize("platform", ["flickr", "pixelfed", "mastodon"])
def test_a_flagged_update_records_what_it_published(world: SandboxWorld, platform: str) -> None:
    """`_metadata` and `_update` set by hand are success points too: the run after shows
    the photo unchanged, except a file a platform could not replace (it stays `file`)."""
    assert sync_once(platforms=[platform])[0] == 0
    file_id = first_photo(world)
    edit_metadata(world, file_id, {"tag": "title", "op": "set", "value": "Evening fog"})
    world.imatch.db.assign(f"Socials|{platform}|_metadata", [file_id])
    code, run = sync_once(platforms=[platform])
    assert code == 0, run
    _, dry = sync_once(dry_run=True, platforms=[platform])
    assert photo_entry(dry, platform, file_id)["action"] == "unchanged"

    path = Path(world.imatch.db.files[file_id].file_name)
    Image.new("RGB", (48, 32), (90, 10, 160)).save(path, "JPEG")
    edit_metadata(world, file_id, {"tag": "title", "op": "set", "value": "Night fog"})
    world.imatch.db.assign(f"Socials|{platform}|_update", [file_id])
    code, run = sync_once(platforms=[platform])
    assert code == 0, run
    _, dry = sync_once(dry_run=True, platforms=[platform])
    entry = photo_entry(dry, platform, file_id)
    if platform == "flickr":
        assert entry["action"] == "unchanged"
    else:  # the text was sent, the old image stays: still changed, only the file
        assert list(entry["changed"]) == ["file"]


@pytest.mark.parametrize("platform", ["pixelfed", "mastodon"])
def test_a_visibility_the_post_cannot_take_by_editing_stays_changed(
    world: SandboxWorld, tmp_path: Path, platform: str
) -> None:
    """pixelfed and Mastodon cannot change a post's visibility by editing: after a run
    that could not make a public post private, the photo is still `changed` (visibility),
    never recorded as private while the post stays public."""
    assert sync_once(platforms=[platform])[0] == 0
    file_id = first_photo(world)
    status_id = records(world, platform)[file_id][0]["status_id"]
    settings = {platform: {"detect_changes": "publish", "visibility": "private"}}
    world.configure_home(tmp_path / "home", without_rate_limits(**settings))
    _, dry = sync_once(dry_run=True, platforms=[platform])
    entry = photo_entry(dry, platform, file_id)
    assert list(entry["changed"]) == ["visibility"]

    sim = getattr(world, platform)
    for _ in range(2):  # left alone with a note, run after run: no call about the post
        mark = len(sim.log)
        code, run = sync_once(platforms=[platform])
        assert code == 0, run
        warnings = "\n".join(run["platforms"][platform]["warnings"])
        assert "visibility changed" in warnings
        assert "delete and add it again" in warnings
        assert not [r for r in sim.log.records[mark:] if status_id in r.path]
        assert remote_posts(world, platform)[status_id].visibility != "private"
        _, after = sync_once(dry_run=True, platforms=[platform])
        entry = photo_entry(after, platform, file_id)
        assert entry["action"] == "changed"
        assert list(entry["changed"]) == ["visibility"]

    # With a new caption too, the caption is sent and the visibility still is not.
    edit_metadata(world, file_id, {"tag": "title", "op": "set", "value": "Evening fog"})
    code, run = sync_once(platforms=[platform])
    assert code == 0, run
    post = remote_posts(world, platform)[status_id]
    assert "Evening fog" in post_text(platform, post)
    assert post.visibility != "private"
    warnings = "\n".join(run["platforms"][platform]["warnings"])
    assert "cannot change a post's visibility" in warnings
    _, after = sync_once(dry_run=True, platforms=[platform])
    assert list(photo_entry(after, platform, file_id)["changed"]) == ["visibility"]


def test_baseline_of_one_platform_leaves_the_others_alone(world: SandboxWorld) -> None:
    assert sync_once()[0] == 0
    journal = Journal()
    try:  # the run recorded its own posts; only a baseline records the platform's time
        assert all(journal.store.baseline_time(p) is None for p in ("flickr", "mastodon"))
    finally:
        journal.close()
    calls = [len(world.flickr.log), len(world.pixelfed.log), len(world.mastodon.log)]
    assert run_baseline(["mastodon"]) == 0
    assert [len(world.flickr.log), len(world.pixelfed.log), len(world.mastodon.log)] == calls
    journal = Journal()
    try:
        assert journal.store.baseline_time("mastodon") is not None
        assert journal.store.baseline_time("flickr") is None
        assert journal.store.baseline_time("pixelfed") is None
    finally:
        journal.close()


@pytest.mark.parametrize("platform", ["pixelfed", "mastodon"])
def test_a_changed_file_that_cannot_be_uploaded_is_never_reposted(
    world: SandboxWorld, tmp_path: Path, platform: str
) -> None:
    """A repost deletes the post before it uploads the new file: a new file the platform
    would refuse (here too large) must stop it before the delete, with the error named."""
    assert sync_once(platforms=[platform])[0] == 0
    file_id = first_photo(world)
    status_id = records(world, platform)[file_id][0]["status_id"]
    path = Path(world.imatch.db.files[file_id].file_name)
    Image.effect_noise((400, 400), 90).convert("RGB").save(path, "JPEG", quality=95)
    assert path.stat().st_size > 20 * 1024
    too_large = {platform: {"max_file_mb": 0.01}}  # 10 KB: the new file is too large
    world.configure_home(tmp_path / "home", without_rate_limits(**too_large))

    _, run = sync_once(platforms=[platform], only=["changed"], repost_changed_files=True)
    assert run["platforms"][platform]["reposted"] == 0
    assert status_id in remote_posts(world, platform)
    assert records(world, platform)[file_id][0]["status_id"] == status_id
    _, dry = sync_once(dry_run=True, platforms=[platform])
    assert "file too large" in photo_entry(dry, platform, file_id)["errors"]


def test_detect_changes_is_set_per_platform(world: SandboxWorld, tmp_path: Path) -> None:
    assert sync_once()[0] == 0
    file_id = first_photo(world)
    posts = {p: records(world, p)[file_id][0] for p in ("flickr", "pixelfed", "mastodon")}
    edit_metadata(world, file_id, {"tag": "title", "op": "set", "value": "Evening fog"})
    configure(world, tmp_path / "home", flickr="publish", pixelfed="show", mastodon="off")
    _, dry = sync_once(dry_run=True)
    actions = {p: photo_entry(dry, p, file_id)["action"] for p in posts}
    assert actions == {"flickr": "changed", "pixelfed": "changed", "mastodon": "unchanged"}

    code, run = sync_once()
    assert code == 0, run
    assert world.flickr.state.photos[posts["flickr"]["photo_id"]].title == "Evening fog"
    for platform in ("pixelfed", "mastodon"):
        post = remote_posts(world, platform)[posts[platform]["status_id"]]
        assert "Evening fog" not in post_text(platform, post), platform
    _, after = sync_once(dry_run=True)
    actions = {p: photo_entry(after, p, file_id)["action"] for p in posts}
    assert actions == {"flickr": "unchanged", "pixelfed": "changed", "mastodon": "unchanged"}


def test_a_baseline_keeps_what_runs_recorded(world: SandboxWorld) -> None:
    """The baseline fills in posts with no record of what was published; a photo whose
    published post is known (a run recorded it) and that changed since stays `changed`
    (the baseline does not pretend its new title is on flickr)."""
    assert sync_once()[0] == 0
    file_id = first_photo(world)
    edit_metadata(world, file_id, {"tag": "title", "op": "set", "value": "Evening fog"})
    assert run_baseline() == 0
    _, dry = sync_once(dry_run=True)
    for platform in ("flickr", "pixelfed", "mastodon"):
        assert photo_entry(dry, platform, file_id)["action"] == "changed", platform
