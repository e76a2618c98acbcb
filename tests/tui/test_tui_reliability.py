"""The TUI when another run holds the run lock, and when IMatch goes away mid-run.

A real `imatch-socials --headless` process runs against the same simulators and state
folder (pixelfed answers slowly, so its run lasts a few seconds). Meanwhile the TUI's run
actions are disabled and say which run is in progress; they come back once it ends.
IMatch stopping during a TUI run stops it at once with one message, not photo by photo.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Label

from sandbox.library import LibraryInfo
from sandbox.world import SandboxWorld, sandbox_world
from sync import paths
from sync.retry import RetryPolicy
from tests.cli_process import ChildProcess, start_cli
from tests.e2e.test_one_run_at_a_time import hold_lock_in_child
from tests.sync_checks import NO_RATE_LIMITS, remove_from_imatch, sync_once
from tests.tui.helpers import (
    SIZE,
    log_text,
    make_app,
    no_sleep,
    ready,
    screen_text,
    settle,
    static_text,
    until,
    view,
)
from tui.app import SocialsApp

RUN_ACTIONS = ("add", "update", "metadata", "delete", "errors", "sync")
MESSAGE = "another run is in progress"


@pytest.fixture
def world(
    sample_library: LibraryInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SandboxWorld]:
    with sandbox_world(sample_library.path) as running:
        running.configure_home(tmp_path, NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
        yield running


def start_headless(platform: str) -> ChildProcess:
    """`imatch-socials --headless` on `platform`, metadata updates only: the run takes
    the lock like any other, and once let go it ends after two changes, not fifty."""
    return start_cli("--headless", "--platform", platform, "--only", "metadata")


def exit_code(process: ChildProcess) -> int:
    return process.wait(timeout=120)


async def test_run_actions_are_disabled_while_a_headless_run_holds_the_lock(
    world: SandboxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The screen looks at the lock every second; here more often, so the test does not
    # wait a second each time the lock is taken and given back.
    monkeypatch.setattr("tui.screens.main.LOCK_CHECK_SECONDS", 0.1)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        assert all(screen.check_action(a, ()) for a in RUN_ACTIONS)
        # The headless run holds the lock, stopped at its first pixelfed change until the
        # checks are done (the pixelfed simulator answers nothing meanwhile).
        gate = threading.Event()
        world.pixelfed.knobs.on_mutation = lambda: gate.wait(timeout=60) and None
        headless = start_headless("pixelfed")
        try:
            await until(pilot, lambda: MESSAGE in screen_text(app), seconds=30)
            assert f"pid {headless.pid})" in screen_text(app)
            assert headless.poll() is None
            for action in RUN_ACTIONS:
                assert screen.check_action(action, ()) is None, action  # shown, disabled
            flickr_changes = world.flickr.knobs.mutations
            await pilot.press("a")
            await pilot.pause(0.2)
            assert world.flickr.knobs.mutations == flickr_changes
            assert not view(app).running
        finally:
            world.pixelfed.knobs.on_mutation = None
            gate.set()
            assert exit_code(headless) in (0, 1)  # the demo library has a bad file
        await until(pilot, lambda: screen.check_action("add", ()) is True, seconds=15)
        assert MESSAGE not in screen_text(app)
        await pilot.press("2", "space", "a")  # one photo is enough to see add run again
        await settle(pilot)
        assert world.flickr.knobs.mutations > flickr_changes


def hold_the_lock_in_another_process() -> subprocess.Popen[str]:
    return hold_lock_in_child(paths.state_dir())


def run_status(app: SocialsApp, platform: str = "flickr") -> str:
    return static_text(view(app, platform).run_panel.query_one("#run-status", Label))


async def test_a_run_in_progress_when_the_app_starts_is_shown(
    world: SandboxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app opened while a headless run (or the IMatch app's) holds the lock: once
    the tabs are in, each says which run is in progress and its run keys wait."""
    monkeypatch.setattr("tui.screens.main.LOCK_CHECK_SECONDS", 0.1)
    holder = hold_the_lock_in_another_process()
    try:
        app = make_app()
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot)
            await pilot.pause(0.5)  # several looks at the lock after the tabs were filled
            for platform in ("flickr", "pixelfed", "mastodon"):
                assert MESSAGE in run_status(app, platform), (platform, run_status(app, platform))
            # Said once in the tab's log, however the looks at the lock and its first plan
            # met (a hidden tab's log is written when it is shown).
            assert log_text(view(app)).count("Waiting:") == 1
            assert f"pid {holder.pid})" in run_status(app)
            assert screen.check_action("add", ()) is None
            holder.kill()
            holder.wait(timeout=10)
            await until(pilot, lambda: screen.check_action("add", ()) is True, seconds=15)
            assert MESSAGE not in run_status(app)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(timeout=10)


async def test_imatch_gone_during_a_run_stops_it_with_one_message(world: SandboxWorld) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        uploads: list[int] = []

        def imatch_quits_after_the_second_upload() -> None:
            uploads.append(1)
            if len(uploads) == 2:
                world.stop("imatch")

        world.flickr.knobs.on_mutation = imatch_quits_after_the_second_upload
        started = time.monotonic()
        await pilot.press("a")
        await until(pilot, lambda: not screen.cancels and "Stopped" in log_text(view(app)), 30)
        took = time.monotonic() - started
        world.flickr.knobs.on_mutation = None
        await pilot.app.workers.wait_for_complete()
        log = log_text(view(app))
    assert took < 20, took
    assert "Stopped: IMatch stopped answering" in log
    assert "FAILED" not in log  # one message, not photo by photo
    assert "with errors listed in IMatch" not in log
    assert "urllib3" not in log


async def test_posts_recovered_from_an_interrupted_run_are_shown_in_the_log(
    world: SandboxWorld,
) -> None:
    """An earlier run whose answers were all lost made posts it never recorded: the
    app's start finds them again, records them and says so (how many) in the log; a
    post whose file was removed from IMatch since is named by its URL and left alone."""
    _, dry = await asyncio.to_thread(sync_once, platforms=["flickr"], dry_run=True)
    adds = [p for p in dry["platforms"]["flickr"]["photos"] if p["action"] == "add"]
    assert len(adds) >= 3, adds
    before = set(world.flickr.state.photos)
    world.flickr.knobs.drop_rate = 1.0  # every change happens, no answer arrives
    once = RetryPolicy(attempts=1, base_delay=0, sleep=no_sleep)
    await asyncio.to_thread(sync_once, platforms=["flickr"], only=["add"], retry=once)
    world.flickr.knobs.drop_rate = 0.0
    made = set(world.flickr.state.photos) - before
    assert len(made) >= 3, made  # the sample library has an upload flickr rejects
    gone = adds[0]["id"]
    remove_from_imatch(world, gone)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        log = log_text(view(app))
    assert f"Recovered {len(made) - 1} posts an interrupted run had made" in log, log
    flat = " ".join(log.split())  # the log wraps its lines
    said = re.findall(rf"File {gone} is no longer in IMatch: its flickr post (\S+)", flat)
    assert len(said) == 1, log
    assert re.fullmatch(r"https://www\.flickr\.com/photos/[^/]+/\d+/", said[0]), said
    assert made <= set(world.flickr.state.photos)  # the post of the removed file stays
