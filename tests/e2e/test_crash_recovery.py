"""Kill the real sync process (SIGKILL) at many points of a run, then run again.

The simulators run in this process; the sync runs as `imatch-socials --headless` in a
child process. A hook in the simulators kills the child right after the N-th change
anywhere (IMatch or a platform) and before its answer is sent, which is the worst
moment: the change happened and the sync never heard of it. The next run must leave
every photo on each platform exactly once, with its IMatch record, and no media behind.

Here: a 50-photo run cut at a few points, and a crash after a delete of a post recorded
on the master. The run of one photo per action cut at every single change it makes is in
`test_crash_at_every_step.py` (its own file, so the two share the test workers).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from sync.config import load_settings
from sync.journal import Journal
from tests.cli_process import start_cli
from tests.e2e.test_layouts import move_assignments, original_library
from tests.sync_checks import (
    NO_RATE_LIMITS,
    ONE_AT_A_TIME,
    PLATFORMS,
    assert_each_post_once,
    kill_after,
    records,
    simulators,
    sync_once,
)

PHOTOS = 50
KILL_AFTER = (1, 3, 8, 21, 55, 144)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxWorld]:
    library = tmp_path / "library"
    generate_library(library, PHOTOS, cases=False, posted_share=0.3, seed=7)
    with sandbox_world(library) as world:
        home = tmp_path / "home"
        world.configure_home(home, NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(home))
        flag_some(world)
        yield world


def flag_some(world: SandboxWorld) -> None:
    """A few posted photos to delete and to update, so every kind of change is cut."""
    posted = sorted(records(world, "flickr"))
    for platform in PLATFORMS:
        world.imatch.db.assign(f"Socials|{platform}|_delete", posted[:3])
        world.imatch.db.assign(f"Socials|{platform}|_update", posted[3:6])


def expected_posts(world: SandboxWorld) -> dict[str, set[int]]:
    """Photos that must end on each platform: every candidate not flagged for deletion."""
    wanted = {}
    for platform in PLATFORMS:
        root = world.imatch.db.direct_files(f"Socials|{platform}")
        deleted = set(world.imatch.db.direct_files(f"Socials|{platform}|_delete"))
        wanted[platform] = set(root) - deleted
    return wanted


def unattached_media(world: SandboxWorld) -> int:
    return sum(1 for m in world.pixelfed.state.media.values() if m.status_id is None)


@pytest.mark.parametrize("changes", KILL_AFTER)
def test_killed_run_then_a_clean_run_leaves_every_photo_once(
    world: SandboxWorld, changes: int
) -> None:
    wanted = expected_posts(world)
    child = start_cli("--headless", "--json")
    kill_after(world, changes, child)
    code = child.wait(timeout=120)
    assert code == -signal.SIGKILL, "the run finished before the kill point"
    for sim in simulators(world):
        sim.knobs.on_mutation = None

    code, summary = sync_once()
    assert code == 0, summary
    assert_each_post_once(world)
    for platform in PLATFORMS:
        assert set(records(world, platform)) == wanted[platform], platform
        assert not world.imatch.db.direct_files(f"Socials|{platform}|_delete")
        assert not world.imatch.db.direct_files(f"Socials|{platform}|_update")
    # Only media uploads whose answers never arrived can be left unattached (their ids
    # were never known): at most one per upload in flight when the process died. pixelfed
    # removes such media itself after two hours.
    in_flight = load_settings().platform("pixelfed").concurrency
    assert unattached_media(world) <= in_flight
    world.pixelfed.advance(3 * 3600)
    world.pixelfed.collect_garbage()
    assert unattached_media(world) == 0

    code, summary = sync_once()
    assert code == 0
    assert all(summary["platforms"][p]["added"] == 0 for p in PLATFORMS)


def test_a_crash_after_deleting_a_post_recorded_on_the_master_forgets_that_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Versions in Socials, records on their masters (the original tool's users who moved
    their assignments). The run that deleted the post died before IMatch heard of it:
    its journal says the post is gone; the next run forgets the master's record."""
    files = original_library(tmp_path / "library")
    with sandbox_world(tmp_path / "library") as world:
        world.configure_home(tmp_path / "home", ONE_AT_A_TIME)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        move_assignments(world, files["masters"], files["versions"])
        master, version = files["masters"][0], files["versions"][0]
        [record] = records(world, "flickr")[master]
        world.imatch.db.assign("Socials|flickr|_delete", [version])
        # What the killed run left: the post deleted and journaled, IMatch not told.
        journal = Journal(tmp_path / "home" / "state" / "journal.sqlite")
        intent = journal.begin("flickr", version, "delete")
        journal.remote_done(intent, {"photo_id": record["photo_id"]})
        journal.close()
        del world.flickr.state.photos[record["photo_id"]]
        code, summary = sync_once(platforms=["flickr"])
        assert code == 0, summary
        assert summary["platforms"]["flickr"]["completed"] == 1
        assert master not in records(world, "flickr")
        assert version not in world.imatch.db.direct_files("Socials|flickr")
        assert not world.imatch.db.direct_files("Socials|flickr|_delete")
        assert_each_post_once(world)
