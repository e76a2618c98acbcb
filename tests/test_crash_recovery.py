"""Kill the real sync process (SIGKILL) at many points of a 50-photo run, then run again.

The simulators run in this process; the sync runs as `imatch-socials --headless` in a
child process. A hook in the simulators kills the child right after the N-th change
anywhere (IMatch, flickr or pixelfed) and before its answer is sent, which is the worst
moment: the change happened and the sync never heard of it. The next run must leave
every photo on each platform exactly once, with its IMatch record, and no media behind.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from sync.config import load_settings
from tests.sync_checks import NO_RATE_LIMITS, PLATFORMS, assert_each_post_once, records, sync_once

PHOTOS = 50
KILL_AFTER = (1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 200)


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

    for sim in (world.imatch, world.flickr, world.pixelfed):
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
    for sim in (world.imatch, world.flickr, world.pixelfed):
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
    in_flight = load_settings().pixelfed.concurrency
    assert unattached_media(world) <= in_flight
    world.pixelfed.advance(3 * 3600)
    world.pixelfed.collect_garbage()
    assert unattached_media(world) == 0

    code, summary = sync_once()
    assert code == 0
    assert all(summary["platforms"][p]["added"] == 0 for p in PLATFORMS)
