"""Pilot tests of the TUI's runs against the sandbox simulators: add, delete, errors,
sync all, rescans, cancelling, rate limits, scan progress.

Each test gets fresh simulators (the flows change them) and asserts on what the
simulators hold afterwards, not only on what the screen says.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from pathlib import Path

import pytest
from textual.widgets import Static

from sandbox.library import LibraryInfo
from sandbox.world import SandboxWorld, sandbox_world
from sync.rules import Action
from tests.tui.helpers import (
    SIZE,
    log_text,
    main_screen,
    make_app,
    plan_of,
    ready,
    settle,
    shown_ids,
    static_text,
    until,
    view,
)
from tui.screens.confirm import ConfirmDeleteScreen
from tui.widgets.platform_view import PlatformView

# --- runs ---------------------------------------------------------------------------------


async def test_add_selected_photos_posts_only_those(world: SandboxWorld) -> None:
    app = make_app()
    before = len(world.flickr.state.photos)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        flickr = view(app)
        await pilot.press("2", "space", "space")
        assert len(flickr.selected) == 2
        chosen = sorted(flickr.selected)
        await pilot.press("a")
        await settle(pilot)
        assert len(world.flickr.state.photos) == before + 2
        for file_id in chosen:
            assert world.imatch.db.record("flickr", file_id) is not None
            assert "added" in log_text(flickr)
        others = [i.file_id for i in flickr.items if i.action is Action.ADD]
        assert all(world.imatch.db.record("flickr", f) is None for f in others)
        assert not flickr.selected
        assert "Done: 2 added" in log_text(flickr)
        # The rescan after the run leaves the run's outcome on the status line.
        assert "Done: 2 added" in str(flickr.run_panel.query_one("#run-status").render())


async def test_delete_asks_and_deletes_when_confirmed(world: SandboxWorld) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        flickr = view(app)
        deletes = plan_of(flickr).bucket(Action.DELETE)
        posted = [i.photo.record.values["photo_id"] for i in deletes if i.photo.record]
        assert posted
        assert all(p in world.flickr.state.photos for p in posted)
        await pilot.press("d")
        modal = app.screen
        assert isinstance(modal, ConfirmDeleteScreen)
        listing = " ".join(static_text(s) for s in modal.query(Static))
        assert all(i.photo.name in listing for i in deletes)
        await pilot.press("y")
        await settle(pilot)
        assert not any(p in world.flickr.state.photos for p in posted)
        assert not {i.file_id for i in deletes} & set(
            world.imatch.db.direct_files("Socials|flickr|_delete")
        )
        cleared = len(deletes) - len(posted)
        assert f"Done: {len(posted)} deleted, {cleared} delete flags cleared" in log_text(flickr)
        await pilot.press("d")
        assert not isinstance(app.screen, ConfirmDeleteScreen)
        assert "Nothing to delete on flickr." in log_text(flickr)


async def test_delete_cancelled_or_defaulted_deletes_nothing(world: SandboxWorld) -> None:
    app = make_app()
    flagged = world.imatch.db.direct_files("Socials|flickr|_delete")
    photos = set(world.flickr.state.photos)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        flickr = view(app)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmDeleteScreen)
        await pilot.press("n")
        assert not isinstance(app.screen, ConfirmDeleteScreen)
        await pilot.press("d")
        await pilot.press("enter")  # the focused button is No
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert set(world.flickr.state.photos) == photos
        assert world.imatch.db.direct_files("Socials|flickr|_delete") == flagged
        assert log_text(flickr).count("Delete cancelled: nothing was deleted.") == 2


async def test_process_errors_lists_them_in_imatch(world: SandboxWorld) -> None:
    db = world.imatch.db
    for category in db.descendants("Socials|flickr|__errors"):
        db.unassign(category.path, list(category.direct))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        flickr = view(app)
        errors = plan_of(flickr).bucket(Action.ERROR)
        photos = set(world.flickr.state.photos)
        await pilot.press("e")
        await settle(pilot)
        for item in errors:
            for name in item.verdict.errors:
                assert item.file_id in db.direct_files(f"Socials|flickr|__errors|{name}")
        assert set(world.flickr.state.photos) == photos
        assert f"{len(errors)} with errors listed in IMatch" in log_text(flickr)


async def test_sync_all_on_pixelfed_runs_every_bucket(world: SandboxWorld) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("right_square_bracket")
        pixelfed = view(app, "pixelfed")
        assert main_screen(app).current is pixelfed
        adds = plan_of(pixelfed).bucket(Action.ADD)
        await pilot.press("s")
        assert isinstance(app.screen, ConfirmDeleteScreen)
        await pilot.press("y")
        await settle(pilot)
        counts = plan_of(pixelfed).counts()
        assert counts["add"] == counts["update"] == counts["metadata"] == counts["delete"] == 0
        posted = [i for i in adds if world.imatch.db.record("pixelfed", i.file_id)]
        assert len(posted) == len(adds) - 1  # the demo's unreadable file is refused
        assert "FAILED add" in log_text(pixelfed)


async def test_pending_group_adds_are_shown_in_the_run_log(
    sample_library: LibraryInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with sandbox_world(sample_library.path, flickr_groups="throttled") as throttled:
        throttled.configure_home(tmp_path)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
        app = make_app()
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            flickr = view(app)
            await pilot.press("a")
            await settle(pilot)
            shown = " ".join(log_text(flickr).split())
            assert "group Landscape Lovers" in shown
            assert "pending: throttled (the group takes 2 photos a day" in shown
            assert "group Misty Mornings" in shown
            assert "awaiting the group's moderators" in shown
            assert "3 group add(s) pending" in shown
        # Next time the app starts, the adds still waiting are named before anything runs.
        app = make_app()
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            shown = " ".join(log_text(view(app)).split())
            assert "3 group add(s) left pending by earlier runs" in shown
            assert "tried again on a run from" in shown


async def test_rescan_reads_imatch_again(world: SandboxWorld) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        flickr = view(app)
        unchanged = plan_of(flickr).bucket(Action.UNCHANGED)[0]
        metadata_before = plan_of(flickr).counts()["metadata"]
        world.imatch.db.assign("Socials|flickr|_metadata", [unchanged.file_id])
        await pilot.press("r")
        await settle(pilot)
        assert plan_of(flickr).counts()["metadata"] == metadata_before + 1
        assert "Rescanned IMatch" in log_text(flickr)
        await pilot.press("4")
        assert unchanged.file_id in shown_ids(flickr)


async def test_escape_cancels_after_the_photo_in_progress(world: SandboxWorld) -> None:
    # flickr holds its answer to the first upload until escape has been pressed: the
    # photo is then surely in progress (a gate, not a latency the machine could outrun).
    escape_pressed = threading.Event()
    world.flickr.knobs.on_mutation = lambda: escape_pressed.wait(timeout=30) and None
    app = make_app()
    before = len(world.flickr.state.photos)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        flickr = view(app)
        adds = len(plan_of(flickr).bucket(Action.ADD))
        await pilot.press("a")
        await until(pilot, lambda: "running" in flickr.row_states.values())
        await pilot.press("escape")
        escape_pressed.set()
        await settle(pilot)
        added = len(world.flickr.state.photos) - before
        assert 1 <= added < adds
        assert "Cancelled:" in log_text(flickr)
        assert "skipped" in flickr.row_states.values()


async def test_waiting_for_the_rate_limit_is_shown(world: SandboxWorld) -> None:
    world.pixelfed.settings.rate_limit_writes = 1
    world.pixelfed.settings.rate_limit_window_seconds = 60

    # Waiting moves a fake time that both pixelfed and the app's rate limiter follow, so
    # the window ends exactly when the app has waited as asked, however slow the machine
    # (with a real window a slow machine could reach the second write after the window).
    # The wait holds until the test has looked at the screen (`wait_over`).
    waited = [0.0]
    wait_over = threading.Event()

    async def sleep(seconds: float) -> None:
        if seconds > 0:
            await asyncio.to_thread(wait_over.wait, 30)  # bounded: a failing test must end
        waited[0] += seconds
        world.pixelfed.advance(seconds)

    app = make_app(sleep=sleep, timer=lambda: time.monotonic() + waited[0])
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("right_square_bracket")
        pixelfed = view(app, "pixelfed")
        await pilot.press("2", "space")
        chosen = next(iter(pixelfed.selected))
        statuses = len(world.pixelfed.state.statuses)
        await pilot.press("a")
        await until(pilot, lambda: "Waiting for rate limit" in log_text(pixelfed))
        status = str(pixelfed.run_panel.query_one("#run-status").render())
        # Retry-After is what is left of the 60 s window (the app's clock stands at 12:00:00).
        assert re.search(r"Waiting for rate limit until 12:0[01]:\d\d", status), status
        wait_over.set()
        await settle(pilot)
        assert "Done:" in log_text(pixelfed)
        posted = world.imatch.db.record("pixelfed", chosen) is not None
        assert pixelfed.row_states[chosen] == ("added" if posted else pixelfed.row_states[chosen])
        assert len(world.pixelfed.state.statuses) <= statuses + 1  # never posted twice


async def test_scan_progress_is_shown_while_imatch_is_read_and_cleared_after(
    world: SandboxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[tuple[str, str, int, int]] = []
    original = PlatformView.show_scan_progress

    def spy(self: PlatformView, stage: str, done: int, total: int) -> None:
        shown.append((self.platform, stage, done, total))
        original(self, stage, done, total)

    monkeypatch.setattr(PlatformView, "show_scan_progress", spy)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        flickr = view(app)
        total = len(flickr.items)
        flickr_steps = [(stage, done) for name, stage, done, _ in shown if name == "flickr"]
        # Reading, then planning, each counting up to every photo of the platform.
        assert flickr_steps[0] == ("reading", 0)
        assert ("reading", total) in flickr_steps
        assert flickr_steps[-1] == ("planning", total)
        reading = [done for stage, done in flickr_steps if stage == "reading"]
        assert reading == sorted(reading)
        # Once the table is there the panel no longer says a scan is going on.
        status = str(flickr.run_panel.query_one("#run-status").render())
        assert status == "Nothing running."
        assert not flickr.run_panel.query_one("#run-progress").display
        assert not flickr.query_one("#panes").loading

        shown.clear()
        await pilot.press("r")  # a rescan reports its progress too
        await settle(pilot)
        assert ("flickr", "planning", total, total) in shown
        assert str(flickr.run_panel.query_one("#run-status").render()) == "Nothing running."
