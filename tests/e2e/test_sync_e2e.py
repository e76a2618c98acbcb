"""End to end over real HTTP: the demo library syncs to both simulators exactly as intended.

Every file of the sample library says (`expect`) what should happen to it on each
platform; after one run IMatch and the simulators must agree with all of it, and a
second run must have nothing left to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sandbox.library import LibraryInfo
from sandbox.world import SandboxWorld, sandbox_world
from sync.visible_text import visible
from tests.sync_checks import (
    NO_RATE_LIMITS,
    PLATFORMS,
    assert_each_post_once,
    error_categories,
    platform_simulators,
    records,
    remote_key,
    remote_posts,
    simulators,
    sync_once,
)


@pytest.fixture
def world(
    sample_library: LibraryInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SandboxWorld]:
    with sandbox_world(sample_library.path) as world:
        world.configure_home(tmp_path, NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
        yield world


@dataclass
class FirstRun:
    """The demo library's first run, shared by the tests that check what it did."""

    world: SandboxWorld
    before: dict[str, dict[int, list[dict[str, Any]]]]
    """Each platform's IMatch records before the run."""
    code: int
    summary: dict[str, Any]


@pytest.fixture(scope="module")
def first_run(
    sample_library: LibraryInfo, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FirstRun]:
    """One first run for the module: the tests that use it only look at its outcome,
    except the second run's, which comes last in the file (a run with nothing to do)."""
    home = tmp_path_factory.mktemp("first-run")
    with sandbox_world(sample_library.path) as world, pytest.MonkeyPatch.context() as patch:
        world.configure_home(home, NO_RATE_LIMITS)
        patch.setenv("IMATCH_SOCIALS_HOME", str(home))
        before = {p: records(world, p) for p in PLATFORMS}
        code, summary = sync_once()
        yield FirstRun(world, before, code, summary)


def cases(world: SandboxWorld, platform: str) -> dict[str, tuple[int, dict[str, object]]]:
    return {
        str(f.expect["case"]): (f.id, {**f.expect[platform], "holder": holder(f.expect, f.id)})
        for f in world.imatch.db.files.values()
        if platform in f.expect
    }


def holder(expect: dict[str, object], file_id: int) -> int:
    """The file holding the case's records (a relative, after a move between layouts)."""
    value = expect.get("records_on", file_id)
    assert isinstance(value, int)
    return value


def in_category(world: SandboxWorld, path: str, file_id: int) -> bool:
    category = world.imatch.db.categories.get(path)
    return category is not None and file_id in category.direct


def test_first_run_does_what_the_categories_say(first_run: FirstRun) -> None:
    world, before, code, summary = (
        first_run.world,
        first_run.before,
        first_run.code,
        first_run.summary,
    )
    assert code == 1  # the corrupt file is refused by both platforms
    for platform in PLATFORMS:
        after = records(world, platform)
        posts = remote_posts(world, platform)
        root = f"Socials|{platform}"
        wanted_errors: dict[str, set[int]] = {}
        for case, (file_id, expect) in cases(world, platform).items():
            action = expect["action"]
            on = expect["holder"]
            for name in expect["errors"]:  # type: ignore[attr-defined]
                wanted_errors.setdefault(name, set()).add(file_id)
            flags = [in_category(world, f"{root}|{f}", file_id) for f in ("_update", "_metadata")]
            if action == "add":
                assert file_id not in before[platform], case
                assert len(after[file_id]) == 1, case
                assert not any(flags), case
            elif action in ("update", "metadata"):
                assert after[on] == before[platform][on], case
                assert not any(flags), case
            elif action == "delete":
                assert file_id not in after, case
                assert on not in after, case
                assert not in_category(world, f"{root}|_delete", file_id), case
                assert not in_category(world, root, file_id), case  # never uploaded again
            elif action == "error":
                assert after.get(file_id) == before[platform].get(file_id), case
                assert after.get(on) == before[platform].get(on), case
            elif action == "unchanged":
                assert after[on] == before[platform][on], case
        assert error_categories(world, platform) == wanted_errors, platform
        assert summary["platforms"][platform]["failed"] == 1
        # A record typed in without its ids (the "empty record" cases: empty, or a
        # zero-width space) points at no post.
        assert len(posts) == len([r for r in after.values() if visible(r[0][remote_key(platform)])])
    assert_each_post_once(world)


def test_posts_carry_exactly_the_rendered_text(first_run: FirstRun) -> None:
    world = first_run.world
    add_id, _ = cases(world, "flickr")["add"]
    [record] = records(world, "flickr")[add_id]
    photo = world.flickr.photo(record["photo_id"])
    assert photo.title == "Morning fog over the lake 1"
    assert photo.description.startswith(
        "Mist rising from a still lake, pines on the far shore\n\n"
        "The lake at dawn, before the wind picked up (frame 1).\n\n"
    )
    assert "imatchsocials:intent=" in " ".join(photo.machine_tags)
    albums = [s for s in world.flickr.state.photosets.values() if record["photo_id"] in s.photo_ids]
    assert len(albums) == 2
    groups = [g for g in world.flickr.state.groups.values() if record["photo_id"] in g.pool]
    assert len(groups) == 1

    [pixelfed_record] = records(world, "pixelfed")[add_id]
    status = remote_posts(world, "pixelfed")[pixelfed_record["status_id"]]
    assert status.caption.startswith("Morning fog over the lake 1 -- Mist rising")
    assert "#photography" in status.caption
    media = world.pixelfed.state.media[pixelfed_record["media_id"]]
    assert media.description == "Mist rising from a still lake, pines on the far shore"

    update_id, _ = cases(world, "flickr")["metadata"]
    [updated] = records(world, "flickr")[update_id]
    assert world.flickr.photo(updated["photo_id"]).title == "Morning fog over the lake 6"


def test_dry_run_changes_nothing_anywhere(world: SandboxWorld, tmp_path: Path) -> None:
    library = world.imatch.db.to_fixture()
    code, summary = sync_once(dry_run=True)
    assert code == 0
    assert summary["platforms"]["flickr"]["status"] == "dry run"
    assert summary["platforms"]["flickr"]["plan"]["add"] == 14
    for sim in simulators(world):
        assert sim.knobs.mutations == 0
    assert world.imatch.db.to_fixture() == library
    assert not (tmp_path / "state" / "journal.sqlite").exists()


def test_only_errors_touches_nothing_but_error_categories(world: SandboxWorld) -> None:
    code, summary = sync_once(only=["errors"])
    assert code == 0
    assert world.flickr.knobs.mutations == 0
    assert world.pixelfed.knobs.mutations == 0
    missing_title = cases(world, "flickr")["missing title"][0]
    several = cases(world, "flickr")["several errors"][0]
    invisible = {
        cases(world, "flickr")[name][0]
        for name in ("invisible title", "invisible title on a master in Socials")
    }
    wanted = {missing_title, several, *invisible}
    assert error_categories(world, "flickr")["missing title"] == wanted
    stale = cases(world, "pixelfed")["stale error category"][0]
    assert stale not in error_categories(world, "pixelfed").get("missing title", set())
    assert summary["platforms"]["flickr"]["added"] == 0


def test_one_platform_only(world: SandboxWorld) -> None:
    code, summary = sync_once(platforms=["pixelfed"])
    assert set(summary["platforms"]) == {"pixelfed"}
    assert world.flickr.knobs.mutations == 0
    assert code == 1


def test_faults_everywhere_end_in_the_same_state(world: SandboxWorld) -> None:
    for sim in platform_simulators(world):
        sim.knobs.fail_rate = 0.2
        sim.knobs.drop_rate = 0.25
    world.imatch.knobs.fail_rate = 0.05
    world.imatch.expire_tokens()
    sync_once()
    for sim in simulators(world):
        sim.knobs.fail_rate = 0.0
        sim.knobs.drop_rate = 0.0
    sync_once()
    code, summary = sync_once()
    assert code == 0
    assert summary["platforms"]["flickr"]["added"] == 0
    assert_each_post_once(world)
    for platform in PLATFORMS:
        added = [f for f, (_, e) in cases(world, platform).items() if e["action"] == "add"]
        have = records(world, platform)
        assert all(cases(world, platform)[c][0] in have for c in added), platform


def test_missing_login_and_unknown_imatch(world: SandboxWorld, tmp_path: Path) -> None:
    (tmp_path / "state" / "flickr-token.json").unlink()
    code, summary = sync_once()
    assert summary["platforms"]["flickr"]["status"] == "not run"
    assert "imatch-socials login flickr" in summary["platforms"]["flickr"]["problem"]
    assert code == 1
    world.imatch.db.app_variables["pixelfed_token"] = "wrong"
    world.imatch.db.app_variables["mastodon_token"] = "wrong"
    code, summary = sync_once()
    assert code == 2  # no platform could run
    assert "refused the token" in summary["platforms"]["pixelfed"]["problem"]
    assert "refused the token" in summary["platforms"]["mastodon"]["problem"]


def test_second_run_has_nothing_left_to_do(first_run: FirstRun) -> None:
    # Last in the file: the run it checks leaves the shared world as it found it.
    world = first_run.world
    posts = {p: set(remote_posts(world, p)) for p in PLATFORMS}
    code, summary = sync_once()
    assert code == 0
    for platform in PLATFORMS:
        result = summary["platforms"][platform]
        changed = ("added", "updated", "metadata", "deleted", "cleared", "failed")
        assert {key: result[key] for key in changed} == dict.fromkeys(changed, 0)
        assert set(remote_posts(world, platform)) == posts[platform]
        # The refused file keeps its error without being uploaded again.
        assert any("upload rejected" in errors for _, errors in result["error_photos"])
