"""The real `imatch-socials demo` in tmux, read back from the screen like a new user."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sandbox.imatch_db import IMatchDatabase
from sandbox.library import LibraryInfo

ROOT = Path(__file__).resolve().parents[2]
COMMAND = Path(sys.executable).parent / "imatch-socials"

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def tmux(*args: str) -> str:
    done = subprocess.run(["tmux", *args], capture_output=True, text=True, check=False)
    return done.stdout


@pytest.fixture
def session() -> Iterator[str]:
    name = f"imatch-socials-demo-{os.getpid()}"
    tmux("kill-session", "-t", name)
    # Start a shell first and type the command into it, so the app starts in a pane that
    # already has its final 120x40 size (a command given to new-session may start while
    # the pane is still 80x24 and miss the resize).
    tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "40")
    tmux("send-keys", "-t", name, f"cd {ROOT} && {COMMAND} demo; exit", "Enter")
    try:
        yield name
    finally:
        tmux("kill-session", "-t", name)


def planned_adds(library: LibraryInfo) -> int:
    """flickr photos of the sample library the plan adds (refusals come only when acting)."""
    expected = [f.expect.get("flickr") for f in IMatchDatabase.load(library.path).files.values()]
    return sum(
        1
        for e in expected
        if e and (e["action"] == "add" or set(e["errors"]) == {"upload rejected"})
    )


def screen_when(name: str, condition: Callable[[str], bool], seconds: float = 20) -> str:
    """Poll the pane until `condition` holds on its text; fail at the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        text = tmux("capture-pane", "-t", name, "-p")
        if condition(text):
            return text
        if time.monotonic() > deadline:
            raise AssertionError(f"screen never matched; last screen:\n{text}")
        time.sleep(0.05)  # polling interval, not a wait for the app


def test_demo_opens_the_tui_and_posts(session: str, sample_library: LibraryInfo) -> None:
    # The pane may start small and grow to 120x40 a moment later: wait for the full footer.
    everything = f"1 All {sample_library.candidates['flickr']}"
    screen = screen_when(
        session, lambda s: everything in s and "Scanned IMatch" in s and "q Quit" in s
    )
    assert "flickr" in screen
    assert "pixelfed" in screen
    assert "logged in as demo" in screen
    assert f"2 Add {planned_adds(sample_library)}" in screen
    assert "a Add" in screen
    assert "q Quit" in screen

    tmux("send-keys", "-t", session, "6")
    screen = screen_when(session, lambda s: "what to fix in IMatch" in s)
    assert "error" in screen

    tmux("send-keys", "-t", session, "2", "space", "a")
    # The run's line, then the rescan after it: either shows the photo went out.
    screen_when(
        session,
        lambda s: "Done: 1 added" in s and ("Rescanned IMatch" in s or "added 000002.jpg" in s),
    )

    tmux("send-keys", "-t", session, "q")
    screen_when(session, lambda s: not tmux("list-panes", "-t", session))  # the demo ended
