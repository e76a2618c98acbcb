"""SVG snapshots of the screens a photographer sees (120×40 and 80×24, fixed clock and label).

The sandbox library is generated into a fixed folder so the file paths in the detail
pane are the same on every run. Update with `pytest --snapshot-update` and look at the
SVGs in tests/tui/__snapshots__/ before committing them.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from filelock import FileLock
from textual.pilot import Pilot

from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from tests.tui.helpers import SIZE, make_app, ready, until
from tui.screens.connection import ConnectionScreen

# The detail pane shows the file's path, wrapped to the pane's width: its length moves the
# pane's scrollbar. /tmp, not the temporary folder of the environment ($TMPDIR), which
# differs from machine to machine and made the 80x24 snapshot fail on a clean clone.
TEMPORARY_ROOT = Path("/tmp") if os.name == "posix" else Path(tempfile.gettempdir())
LIBRARY = TEMPORARY_ROOT / "imatch-socials-tui-snapshot-library"
Compare = Callable[..., bool]


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SandboxWorld, Path]]:
    """One sandbox for the module: these tests only look, they change nothing. The fixed
    folder is held under a lock for the module: another test process on this machine
    (an xdist worker, another checkout) would otherwise replace it under these tests."""
    with FileLock(f"{LIBRARY}.lock"):
        shutil.rmtree(LIBRARY, ignore_errors=True)
        generate_library(LIBRARY)
        home = tmp_path_factory.mktemp("home")
        with sandbox_world(library=LIBRARY) as world:
            world.configure_home(home)
            yield world, home


@pytest.fixture
def world(shared_world: tuple[SandboxWorld, Path], monkeypatch: pytest.MonkeyPatch) -> SandboxWorld:
    running, home = shared_world
    monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(home))
    return running


async def wait_ready(pilot: Pilot[int]) -> None:
    await ready(pilot)


def test_main_screen(world: SandboxWorld, snap_compare: Compare) -> None:
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=wait_ready)


def test_detail_pane_of_a_photo_with_errors(world: SandboxWorld, snap_compare: Compare) -> None:
    async def errors_photo(pilot: Pilot[int]) -> None:
        await ready(pilot)
        await pilot.press("6", *["down"] * 6)  # 000043.jpg: two errors

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=errors_photo)


def test_delete_confirmation(world: SandboxWorld, snap_compare: Compare) -> None:
    async def ask(pilot: Pilot[int]) -> None:
        await ready(pilot)
        await pilot.press("5", "d")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=ask)


def test_help_screen(world: SandboxWorld, snap_compare: Compare) -> None:
    async def help_open(pilot: Pilot[int]) -> None:
        await ready(pilot)
        await pilot.press("question_mark")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=help_open)


SMALL = (80, 24)


def test_main_screen_at_80x24(world: SandboxWorld, snap_compare: Compare) -> None:
    """80x24 is a first-class size: Errors before Title, two-line filter bar, the
    essential keys in the footer, no header, a short log."""
    assert snap_compare(make_app(), terminal_size=SMALL, run_before=wait_ready)


def test_detail_pane_at_80x24(world: SandboxWorld, snap_compare: Compare) -> None:
    async def details(pilot: Pilot[int]) -> None:
        await ready(pilot)
        await pilot.press("6", *["down"] * 7, "enter")  # 000043.jpg: two errors

    assert snap_compare(make_app(), terminal_size=SMALL, run_before=details)


def test_imatch_not_reachable(
    world: SandboxWorld, snap_compare: Compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.configure_home(tmp_path)
    config = tmp_path / "config" / "config.toml"
    # Port 9 (discard) is closed on a test machine: the address is the same every run.
    imatch_url = re.compile(r'url = "http://127\.0\.0\.1:\d+"')
    config.write_text(imatch_url.sub('url = "http://127.0.0.1:9"', config.read_text(), count=1))
    monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))

    async def failed(pilot: Pilot[int]) -> None:
        await until(pilot, lambda: isinstance(pilot.app.screen, ConnectionScreen))
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=failed)


def test_delete_confirmation_at_80x24(world: SandboxWorld, snap_compare: Compare) -> None:
    """The listing gives up rows so that Yes and No show at 80x24."""

    async def ask(pilot: Pilot[int]) -> None:
        await ready(pilot)
        await pilot.press("5", "d")

    assert snap_compare(make_app(), terminal_size=SMALL, run_before=ask)
