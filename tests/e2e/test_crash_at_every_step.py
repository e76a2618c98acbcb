"""Kill the real sync process at every single change of a run, then run again.

A run of one photo per action (add, update, metadata, delete) on each platform, as
`imatch-socials --headless` in a child process, is cut (SIGKILL) right after each change
it makes anywhere (IMatch or the platform), before the answer is sent; this includes the
moment between writing a new post's record and clearing its flags. The next run must
finish the work with every photo exactly once and change nothing after that.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from tests.cli_process import ChildProcess, start_cli
from tests.sync_checks import (
    ONE_AT_A_TIME,
    PLATFORMS,
    assert_each_post_once,
    edits_of,
    kill_after,
    post_text,
    records,
    remote_key,
    remote_posts,
    simulators,
    sync_once,
)

STEP_PHOTOS = 4
NEW_TITLE = "Retitled before the crash"


@dataclass
class StepCase:
    """The photos flagged for each action, and what their posts were before the run."""

    add: int
    update: int
    metadata: int
    delete: int
    before: dict[int, str]
    """Remote id of each posted photo before the run."""


def start_child(platform: str) -> ChildProcess:
    """`imatch-socials --headless --platform <platform>` in a child process."""
    return start_cli("--headless", "--platform", platform)


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
    unreached = []
    for number, step in enumerate(steps, start=1):
        with sandbox_world(step_library) as world:
            home = tmp_path / f"home-{number}"
            world.configure_home(home, ONE_AT_A_TIME)
            monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(home))
            case = flag_one_per_action(world, platform)
            child = start_child(platform)
            kill_after(world, number, child)
            if child.wait(timeout=120) == 0:
                # This run's IMatch writes were batched into fewer calls than the
                # reference run's (a busy machine changes what falls in one 50 ms
                # window): it ended before this cut point, and must have ended right.
                check_final_state(world, platform, case, f"finished before {step}")
                unreached.append(step)
                continue
            assert child.returncode == -signal.SIGKILL, (step, child.returncode)
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
    # Only batched IMatch writes can be missing, and only a few: the cuts cover the run.
    assert all(step.startswith("imatch ") for step in unreached), unreached
    assert len(unreached) <= 2, unreached


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
