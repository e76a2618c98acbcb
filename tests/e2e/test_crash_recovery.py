"""Kill the real sync process (SIGKILL) at many points of a run, then run again.

The simulators run in this process; the sync runs as `imatch-socials --headless` in a
child process. A hook in the simulators kills the child right after the N-th change
anywhere (IMatch, flickr or pixelfed) and before its answer is sent, which is the worst
moment: the change happened and the sync never heard of it. The next run must leave
every photo on each platform exactly once, with its IMatch record, and no media behind.

Two kinds: a 50-photo run cut at a few points, and a run of one photo per action (add,
update, metadata, delete) on each platform cut at every single change it makes, which
includes the moment between writing a new post's record and clearing its flags.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from sync.config import load_settings
from sync.journal import Journal
from tests.e2e.test_layouts import move_assignments, original_library
from tests.sync_checks import (
    NO_RATE_LIMITS,
    PLATFORMS,
    assert_each_post_once,
    edits_of,
    post_text,
    records,
    remote_key,
    remote_posts,
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


def kill_after(world: SandboxWorld, changes: int, child: subprocess.Popen[str]) -> None:
    lock = threading.Lock()
    count = 0

    def on_mutation() -> None:
        nonlocal count
        with lock:
            count += 1
            if count == changes:
                os.kill(child.pid, signal.SIGKILL)

    for sim in simulators(world):
        sim.knobs.on_mutation = on_mutation


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
    child = subprocess.Popen(
        [sys.executable, "-m", "sync.cli", "--headless", "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
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


# --- one photo per action, cut at every step -------------------------------------------

STEP_PHOTOS = 4
NEW_TITLE = "Retitled before the crash"
ONE_AT_A_TIME = {p: {**NO_RATE_LIMITS[p], "concurrency": 1} for p in PLATFORMS}


@dataclass
class StepCase:
    """The photos flagged for each action, and what their posts were before the run."""

    add: int
    update: int
    metadata: int
    delete: int
    before: dict[int, str]
    """Remote id of each posted photo before the run."""


def start_child(platform: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sync.cli", "--headless", "--platform", platform],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=os.environ.copy(),
    )


def flag_one_per_action(world: SandboxWorld, platform: str) -> StepCase:
    db = world.imatch.db
    root = f"Socials|{platform}"
    posted = sorted(records(world, platform))
    [new] = sorted(set(db.direct_files(root)) - set(posted))
    update, metadata, delete = posted[:3]
    db.assign(f"{root}|_update", [new, update])  # a flag on a new photo is cleared too
    db.assign(f"{root}|_metadata", [metadata])
    db.assign(f"{root}|_delete", [delete])
    db.files[metadata].tags["title"] = NEW_TITLE  # the version's own title wins
    key = remote_key(platform)
    before = {f: records(world, platform)[f][0][key] for f in (update, metadata, delete)}
    return StepCase(new, update, metadata, delete, before)


def steps_of(world: SandboxWorld, counter: list[str]) -> None:
    """Name every change the simulators make, in order, in `counter`."""
    for name, sim in zip(("imatch", *PLATFORMS), simulators(world), strict=True):

        def count(name: str = name, sim: object = sim) -> None:
            last = sim.log.records[-1] if sim.log.records else None  # type: ignore[attr-defined]
            counter.append(f"{name} {last.method} {last.path}" if last else name)

        sim.knobs.on_mutation = count


def check_final_state(world: SandboxWorld, platform: str, case: StepCase, step: str) -> None:
    key = remote_key(platform)
    root = f"Socials|{platform}"
    have = records(world, platform)
    assert_each_post_once(world)
    for flag in ("_update", "_metadata", "_delete"):
        assert not world.imatch.db.direct_files(f"{root}|{flag}"), (step, flag)
    assert len(have[case.add]) == 1, step
    assert have[case.update][0][key] == case.before[case.update], step
    assert case.delete not in have, step
    assert case.delete not in world.imatch.db.direct_files(root), step
    assert case.before[case.delete] not in remote_posts(world, platform), step
    post = remote_posts(world, platform)[have[case.metadata][0][key]]
    assert post_text(platform, post).startswith(NEW_TITLE), step
    if platform == "flickr":
        # A crash after the record of a new photo was written never replaces its image.
        assert world.flickr.photo(have[case.add][0][key]).replace_count == 0, step


@pytest.fixture(scope="module")
def step_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    library = tmp_path_factory.mktemp("steps") / "library"
    generate_library(library, STEP_PHOTOS, cases=False, posted_share=0.75, seed=2)
    return library


@pytest.mark.slow
@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_kill_at_every_step_of_add_update_metadata_and_delete(
    step_library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: str
) -> None:
    steps: list[str] = []
    with sandbox_world(step_library) as world:
        world.configure_home(tmp_path / "reference", ONE_AT_A_TIME)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "reference"))
        case = flag_one_per_action(world, platform)
        steps_of(world, steps)
        # Counted in a child process, like the runs that are cut: how the write-back
        # batches IMatch changes (a 50 ms window) depends on how fast the process runs.
        assert start_child(platform).wait(timeout=120) == 0
        check_final_state(world, platform, case, "uninterrupted")
    assert len(steps) >= 8, steps
    for number, step in enumerate(steps, start=1):
        with sandbox_world(step_library) as world:
            home = tmp_path / f"home-{number}"
            world.configure_home(home, ONE_AT_A_TIME)
            monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(home))
            case = flag_one_per_action(world, platform)
            child = start_child(platform)
            kill_after(world, number, child)
            assert child.wait(timeout=120) == -signal.SIGKILL, f"finished before {step}"
            for sim in simulators(world):
                sim.knobs.on_mutation = None
            code, summary = sync_once(platforms=[platform])
            where = f"killed after change {number} ({step})"
            assert code == 0, (where, summary)
            check_final_state(world, platform, case, where)
            code, summary = sync_once(platforms=[platform])
            result = summary["platforms"][platform]
            done = ("added", "updated", "metadata", "deleted", "failed")
            assert [result[k] for k in done] == [0] * len(done), (where, result)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_crash_between_the_record_write_and_the_flag_clear_changes_nothing_again(
    step_library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, platform: str
) -> None:
    with sandbox_world(step_library) as world:
        world.configure_home(tmp_path / "home", ONE_AT_A_TIME)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        case = flag_one_per_action(world, platform)
        for flag in ("_metadata", "_delete"):
            world.imatch.db.unassign(f"Socials|{platform}|{flag}", [case.metadata, case.delete])
        world.imatch.db.unassign(f"Socials|{platform}|_update", [case.update])
        child = start_child(platform)

        def on_imatch_change() -> None:
            if case.add in records(world, platform):  # the record is written, flags are not
                os.kill(child.pid, signal.SIGKILL)

        world.imatch.knobs.on_mutation = on_imatch_change
        assert child.wait(timeout=120) == -signal.SIGKILL
        world.imatch.knobs.on_mutation = None
        assert case.add in world.imatch.db.direct_files(f"Socials|{platform}|_update")
        code, summary = sync_once(platforms=[platform])
        assert code == 0, summary
        result = summary["platforms"][platform]
        assert result["updated"] == result["added"] == 0, result
        assert not world.imatch.db.direct_files(f"Socials|{platform}|_update")
        [record] = records(world, platform)[case.add]
        post = remote_posts(world, platform)[record[remote_key(platform)]]
        if platform == "flickr":
            assert post.replace_count == 0
        else:
            assert edits_of(platform, post) == 0


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
