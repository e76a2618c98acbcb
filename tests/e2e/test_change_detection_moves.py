"""What was published follows a photo whose Socials assignment moves between its master and
its version (both IMatch layouts, DESIGN section 4): a change made after the move is
still `changed` on every platform, publishing it re-keys the state to the Socials file,
and moving back shows nothing changed and asks for no baseline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.library import PLATFORMS
from sandbox.world import SandboxWorld, sandbox_world
from sync.baseline import run_baseline
from sync.journal import Journal
from tests.e2e.test_change_detection import configure, edit_metadata, photo_entry
from tests.e2e.test_layouts import move_assignments, original_library
from tests.sync_checks import headless_lines, remote_posts, sync_once

TITLE_FIELD = {"flickr": "title", "pixelfed": "caption", "mastodon": "caption"}
"""The published field a new title shows in."""


@pytest.fixture
def moved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[SandboxWorld, dict]]:
    files = original_library(tmp_path / "library", photos=3)
    with sandbox_world(tmp_path / "library") as world:
        configure(world, tmp_path / "home")
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        assert sync_once()[0] == 0  # the one waiting master is added
        assert run_baseline() == 0  # the others were posted by the original tool
        move_assignments(world, files["masters"], files["versions"])
        yield world, files


def test_a_change_after_the_assignment_moved_is_changed_on_every_platform(
    moved: tuple[SandboxWorld, dict], tmp_path: Path
) -> None:
    world, files = moved
    master, version = files["masters"][0], files["versions"][0]
    code, dry = sync_once(dry_run=True)
    assert code == 0, dry
    for platform in PLATFORMS:
        result = dry["platforms"][platform]
        assert result["plan"]["changed"] == 0, platform
        assert not result["baseline_missing"], platform

    edit_metadata(world, master, {"tag": "title", "op": "set", "value": "Evening fog"})
    code, dry = sync_once(dry_run=True)
    assert code == 0, dry
    for platform in PLATFORMS:
        entry = photo_entry(dry, platform, version)
        assert entry["action"] == "changed", (platform, entry)
        assert list(entry["changed"]) == [TITLE_FIELD[platform]], platform
        assert dry["platforms"][platform]["plan"]["changed"] == 1, platform

    posts = {p: set(remote_posts(world, p)) for p in PLATFORMS}
    configure(world, tmp_path / "home", **dict.fromkeys(PLATFORMS, "publish"))
    code, run = sync_once()
    assert code == 0, run
    for platform in PLATFORMS:
        assert run["platforms"][platform]["added"] == 0, platform
        assert set(remote_posts(world, platform)) == posts[platform], platform
    journal = Journal()
    for platform in PLATFORMS:
        published = journal.store.published(platform)
        assert "Evening fog" in published[version].shown[TITLE_FIELD[platform]], platform
        assert master not in published, platform  # re-keyed, not kept twice
    journal.close()

    code, after = sync_once(dry_run=True)
    for platform in PLATFORMS:
        assert after["platforms"][platform]["plan"]["changed"] == 0, platform

    # And back again: the state follows, nothing is changed, no baseline is asked for.
    move_assignments(world, files["versions"], files["masters"])
    code, back = sync_once(dry_run=True)
    assert code == 0, back
    for platform in PLATFORMS:
        assert back["platforms"][platform]["plan"]["changed"] == 0, platform
        assert not back["platforms"][platform]["baseline_missing"], platform
        assert photo_entry(back, platform, master)["action"] == "unchanged", platform


def test_the_dry_run_counts_the_posts_with_no_record_beside_the_changed_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Posts the original tool made have no record of what was published; the one this
    tool added has. A changed title on that one is `changed`, and the dry run says how
    many others cannot be (it said "none is shown as changed" beside "1 changed")."""
    files = original_library(tmp_path / "library", photos=3)
    with sandbox_world(tmp_path / "library") as world:
        configure(world, tmp_path / "home")
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        code, planned = sync_once(platforms=["flickr"], dry_run=True)
        assert code == 0
        photos = planned["platforms"]["flickr"]["photos"]
        added = [p["id"] for p in photos if p["action"] == "add"]
        assert len(added) == 1
        assert sync_once(platforms=["flickr"])[0] == 0
        edit_metadata(world, added[0], {"tag": "title", "op": "set", "value": "Evening fog"})
        said = headless_lines("flickr", dry_run=True)
    assert "flickr (dry run): " in said
    assert "1 changed" in said
    unrecorded = len(files["masters"]) - 1
    assert f"{unrecorded} posted photos have no record of what was published" in said
    assert "none is shown" not in said
