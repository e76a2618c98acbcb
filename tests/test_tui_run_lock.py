"""The TUI while a headless run holds the run lock: it shows and plans, its run keys wait.

A real `imatch-socials --headless` process runs against the same simulators and state
folder (pixelfed answers slowly, so its run lasts a few seconds). Meanwhile the TUI's run
actions are disabled and say which run is in progress; they come back once it ends.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.world import SandboxWorld, sandbox_world
from tests.test_tui_app import SIZE, make_app, ready, screen_text, settle, until, view

RUN_ACTIONS = ("add", "update", "metadata", "delete", "errors", "sync")
MESSAGE = "another run is in progress"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxWorld]:
    with sandbox_world() as running:
        running.configure_home(tmp_path)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
        yield running


def start_headless(platform: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "sync.cli", "--headless", "--platform", platform],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        env=os.environ.copy(),
    )


def exit_code(process: subprocess.Popen[bytes]) -> int:
    return process.wait(timeout=120)


async def test_run_actions_are_disabled_while_a_headless_run_holds_the_lock(
    world: SandboxWorld,
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        assert all(screen.check_action(a, ()) for a in RUN_ACTIONS)
        world.pixelfed.knobs.latency = 0.25  # the headless run takes a few seconds
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
            assert exit_code(headless) in (0, 1)  # the demo library has a bad file
        await until(pilot, lambda: screen.check_action("add", ()) is True, seconds=15)
        assert MESSAGE not in screen_text(app)
        await pilot.press("a")
        await settle(pilot)
        assert world.flickr.knobs.mutations > flickr_changes
