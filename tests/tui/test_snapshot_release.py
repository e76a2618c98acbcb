"""A second start lets go of the last plan's rows as soon as the refreshed plan is shown
(issue 17: at 50,000 photos the stored rows and the refreshed plan were both held until
every platform was planned), while the other platforms are still being planned."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.world import SandboxWorld, sandbox_world
from sync.plan_snapshot import PlanSnapshot
from sync.retry import RetryPolicy
from sync.session import PlatformState, SyncSession
from tests.tui.helpers import FIXED_NOW, SIZE, main_screen, make_app, ready, until, view
from tui.app import SocialsApp
from tui.widgets.platform_view import PlatformView


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxWorld]:
    with sandbox_world() as running:
        running.configure_home(tmp_path)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
        yield running


def app_planning_only_flickr(gate: threading.Event) -> SocialsApp:
    """The real app: flickr is planned at once, every other platform once `gate` is set."""

    class Session(SyncSession):
        async def prepare(self, name: str, *args: object, **kwargs: object) -> PlatformState:
            if name != "flickr":
                await asyncio.to_thread(gate.wait, 60)
            return await super().prepare(name, *args, **kwargs)  # type: ignore[arg-type]

    return SocialsApp(
        lambda: Session(retry=RetryPolicy(base_delay=0)),
        clock=lambda: FIXED_NOW,
        imatch_label="sandbox",
    )


async def test_the_last_plan_goes_once_the_refreshed_plan_is_shown(
    world: SandboxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = make_app()
    async with first.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("q")

    shown: dict[str, weakref.ReferenceType[PlanSnapshot]] = {}
    original = PlatformView.show_snapshot

    def noting(self: PlatformView, snapshot: PlanSnapshot, visible: bool = True) -> None:
        shown.setdefault(self.platform, weakref.ref(snapshot))
        original(self, snapshot, visible)

    monkeypatch.setattr(PlatformView, "show_snapshot", noting)
    gate = threading.Event()
    app = app_planning_only_flickr(gate)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "pixelfed" in shown and "flickr" in shown)
        flickr = view(app)
        await until(pilot, lambda: flickr.state is not None, 60)
        assert view(app, "pixelfed").state is None  # still being planned
        gc.collect()
        assert shown["flickr"]() is None
        # The platform still being planned keeps its last plan for when its tab is
        # shown, undecoded until then.
        waiting = shown["pixelfed"]()
        assert waiting is not None
        assert view(app, "pixelfed").unshown_snapshot is waiting
        assert not waiting.made
        gate.set()
        await until(pilot, lambda: view(app, "pixelfed").state is not None, 60)
        # Planned before its tab was ever shown: its last plan was never decoded.
        assert not waiting.made


async def test_a_tab_shown_before_its_plan_is_in_shows_its_last_plan(
    world: SandboxWorld,
) -> None:
    first = make_app()
    async with first.run_test(size=SIZE) as pilot:
        await ready(pilot)
        stored = [item.file_id for item in view(first, "pixelfed").items]
        await pilot.press("q")

    gate = threading.Event()
    app = app_planning_only_flickr(gate)
    async with app.run_test(size=SIZE) as pilot:
        screen = main_screen(app)
        await until(pilot, lambda: screen.view_of("pixelfed") is not None, 60)
        pixelfed = view(app, "pixelfed")
        await until(pilot, lambda: pixelfed.unshown_snapshot is not None, 60)
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: pixelfed.snapshot is not None)
        assert pixelfed.state is None  # still being planned
        assert [row.file_id for row in pixelfed.items] == stored
        assert pixelfed.table.row_count == len(stored) > 0
        gate.set()
        await until(pilot, lambda: pixelfed.state is not None, 60)
        assert pixelfed.snapshot is None
