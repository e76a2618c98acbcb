"""One run at a time: two real headless processes on one state folder, the run lock itself.

The two processes are real `imatch-socials --headless` runs started together against the
simulators (served by this process); IMatch answers slowly enough that their runs would
overlap. Exactly one may run; the other exits 2 naming the run in progress.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from sync import paths
from sync.run_lock import RunInProgress, RunLock
from tests.cli_process import ChildProcess, start_cli
from tests.sync_checks import NO_RATE_LIMITS, PLATFORMS, assert_each_post_once, records

NEW_PHOTOS = 20
IN_PROGRESS = re.compile(r"another run is in progress \(since \d\d:\d\d, pid (\d+)\)")


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxWorld]:
    library = tmp_path / "library"
    generate_library(library, NEW_PHOTOS, cases=False, posted_share=0.2, seed=11)
    with sandbox_world(library) as world:
        world.configure_home(tmp_path / "home", NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        yield world


def headless(*args: str) -> ChildProcess:
    return start_cli("--headless", *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_headless_processes_at_once_post_every_photo_once(world: SandboxWorld) -> None:
    world.imatch.knobs.latency = 0.03  # a run takes seconds: the two would overlap
    runs = [headless("--json"), headless("--json")]
    outputs = [run.communicate(timeout=180) for run in runs]
    codes = [run.wait() for run in runs]  # ended: communicate waited
    assert sorted(codes) in ([0, 2], [1, 2]), (codes, outputs)
    loser = codes.index(2)
    winner = 1 - loser
    stdout, stderr = outputs[loser]
    document = json.loads(stdout)
    match = IN_PROGRESS.fullmatch(document["problem"])
    assert match, document
    assert int(match.group(1)) == runs[winner].pid
    assert document["problem"] in stderr
    assert document["platforms"] == {}
    assert_each_post_once(world)
    for platform in PLATFORMS:
        assert len(records(world, platform)) == NEW_PHOTOS, platform


def test_the_text_report_says_which_run_holds_the_lock(world: SandboxWorld) -> None:
    holder = RunLock(paths.state_dir())
    holder.acquire()
    try:
        # Another process of this app (the lock is per process: this one holds it).
        run = headless()
        stdout, stderr = run.communicate(timeout=60)
    finally:
        holder.release()
    assert run.returncode == 2
    assert IN_PROGRESS.search(stdout + stderr)
    assert f"pid {os.getpid()}" in stdout + stderr
    assert "Traceback" not in stderr
    assert world.flickr.knobs.mutations == world.pixelfed.knobs.mutations == 0
    assert world.imatch.knobs.mutations == 0


def test_a_dry_run_is_not_blocked_by_a_run_in_progress(world: SandboxWorld) -> None:
    holder = RunLock(paths.state_dir())
    with holder.hold():
        run = headless("--dry-run", "--json")
        stdout, _ = run.communicate(timeout=60)
    assert run.returncode == 0
    assert json.loads(stdout)["platforms"]["flickr"]["status"] == "dry run"


HOLD_THE_LOCK = """
import sys
from pathlib import Path
from sync.run_lock import RunLock
lock = RunLock(Path(sys.argv[1]))
lock.acquire()
print("held", flush=True)
sys.stdin.read()
"""


def hold_lock_in_child(folder: Path) -> subprocess.Popen[str]:
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, str(folder)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "held"
    return child


def test_a_lock_left_by_a_killed_process_does_not_block(tmp_path: Path) -> None:
    child = hold_lock_in_child(tmp_path)
    lock = RunLock(tmp_path, grace=0.2)
    with pytest.raises(RunInProgress, match=rf"pid {child.pid}\)"):
        lock.acquire()
    assert lock.busy().endswith(f"pid {child.pid})")
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    assert lock.busy() == ""
    lock.acquire()
    assert lock.held
    lock.release()


def test_the_lock_is_reentrant_within_a_process(tmp_path: Path) -> None:
    lock = RunLock(tmp_path)
    with lock.hold(), lock.hold():
        assert lock.busy() == ""
        other = hold_attempt(tmp_path)
        assert other.returncode == 3, other.stdout
    other = hold_attempt(tmp_path)
    assert other.returncode == 0


def hold_attempt(folder: Path) -> subprocess.CompletedProcess[str]:
    """Exit 0 when another process can take the lock, 3 when it is busy."""
    code = (
        "import sys; from pathlib import Path\n"
        "from sync.run_lock import RunLock, RunInProgress\n"
        "try:\n    RunLock(Path(sys.argv[1]), grace=0.2).acquire()\n"
        "except RunInProgress as e:\n    print(e); sys.exit(3)\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, str(folder)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_the_holder_message_names_the_time_and_the_pid(tmp_path: Path) -> None:
    since = time.mktime((2026, 3, 4, 14, 5, 0, 0, 0, -1))
    lock = RunLock(tmp_path, clock=lambda: since)
    with lock.hold():
        holder = lock.holder()
    assert holder is not None
    assert holder.pid == os.getpid()
    assert holder.describe(now=since + 60) == (
        f"another run is in progress (since 14:05, pid {os.getpid()})"
    )
    assert holder.describe(now=since + 86400).startswith(
        "another run is in progress (since 2026-03-04 14:05"
    )


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_lock_files_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "state"
    lock = RunLock(folder)
    with lock.hold():
        assert (folder.stat().st_mode & 0o777) == 0o700
        assert (lock.path.stat().st_mode & 0o777) == 0o600
        assert (lock.holder_path.stat().st_mode & 0o777) == 0o600
