"""The plan snapshot: the last plan shown at once at start, never acted on.

The store round-trips rows and ignores a damaged one; the TUI shows the snapshot marked
with its time while the plan is made again, updates rows in place when it is in, and a
run key pressed before that acts on the refreshed plan.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from sandbox.library import LibraryInfo
from sandbox.world import SandboxWorld, sandbox_world
from sync import paths
from sync.journal import JOURNAL_FILE, Journal
from sync.plan import Plan
from sync.plan_snapshot import PlanRow, SnapshotStore, decode, encode
from sync.retry import RetryPolicy
from sync.rules import Action
from sync.session import PlatformState, SyncSession
from sync.state_db import SCHEMA_VERSION, open_state_db
from tests.tui.helpers import (
    FIXED_NOW,
    SIZE,
    log_text,
    make_app,
    plan_of,
    ready,
    settle,
    until,
    view,
)
from tests.tui.painting import unpainted
from tui.app import SocialsApp
from tui.widgets.platform_view import as_of


@pytest.fixture
def world(
    sample_library: LibraryInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SandboxWorld]:
    """The simulators on the session's demo library (read-only files, fresh database)."""
    with sandbox_world(sample_library.path) as running:
        running.configure_home(tmp_path)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
        yield running


ROWS = [
    PlanRow(1, Action.ADD, "a.jpg", "A lake", (), 2048),
    PlanRow(2, Action.ERROR, "b.jpg", "", ("caption too long", "no keywords"), 10, "a note"),
    PlanRow(3, Action.UNCHANGED, "c.jpg", "Ça va", (), 0),
]


def test_rows_round_trip_and_a_damaged_blob_is_ignored() -> None:
    assert decode(encode(ROWS)) == ROWS
    assert decode(b"not zlib") is None
    assert decode(encode(ROWS)[:-3]) is None


def test_the_store_keeps_one_snapshot_per_platform(tmp_path: Path) -> None:
    db = open_state_db(tmp_path / "state.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    store = SnapshotStore(db, clock=lambda: 1000.0)
    assert store.load("flickr") is None

    class FakePlan:
        platform = "flickr"
        items = ()

    store.save(FakePlan())  # type: ignore[arg-type]
    found = store.load("flickr")
    assert found is not None
    assert (found.taken, found.rows) == (1000.0, [])
    db.execute("UPDATE plan_snapshots SET rows = ?", (b"damaged",))
    assert store.load("flickr") is None


def test_as_of_names_the_day_when_it_is_not_today() -> None:
    now = 1_800_000_000.0
    assert len(as_of(now - 60, now)) == len("14:02")
    assert len(as_of(now - 3 * 86400, now)) > 5


async def test_a_session_keeps_its_plan_as_the_next_snapshot(world: SandboxWorld) -> None:
    async with SyncSession(retry=RetryPolicy(base_delay=0)) as session:
        state = await session.prepare("flickr")
        assert state.plan is not None
        snapshot = session.snapshot("flickr")
    assert snapshot is not None
    assert [(r.file_id, r.action, r.errors) for r in snapshot.rows] == [
        (i.file_id, i.action, i.verdict.errors) for i in state.plan.items
    ]


def gated_app(gate: threading.Event) -> SocialsApp:
    """The real app whose platforms are planned only once `gate` is set."""

    class GatedSession(SyncSession):
        async def prepare(self, name: str, *args: object, **kwargs: object) -> PlatformState:
            await asyncio.to_thread(gate.wait, 60)
            return await super().prepare(name, *args, **kwargs)  # type: ignore[arg-type]

    return unpainted(
        SocialsApp(
            lambda: GatedSession(retry=RetryPolicy(base_delay=0)),
            clock=lambda: FIXED_NOW,
            imatch_label="sandbox",
        )
    )


def stale_snapshot(plan: Plan) -> tuple[int, int]:
    """Write a snapshot that differs from the plan: an error photo shown as `add` and an
    add shown as `unchanged`. Returns their file ids."""
    wrong_add = plan.bucket(Action.ERROR)[0]
    hidden_add = plan.bucket(Action.ADD)[0]
    stale = Plan(
        plan.platform,
        plan.publication,
        [
            replace(item, verdict=replace(item.verdict, action=Action.ADD, errors=()))
            if item is wrong_add
            else replace(item, verdict=replace(item.verdict, action=Action.UNCHANGED))
            if item is hidden_add
            else item
            for item in plan.items
        ],
    )
    journal = Journal(paths.state_dir() / JOURNAL_FILE)
    try:
        journal.snapshots.save(stale)
    finally:
        journal.close()
    return wrong_add.file_id, hidden_add.file_id


def stored_snapshot_time(platform: str) -> float:
    journal = Journal(paths.state_dir() / JOURNAL_FILE)
    try:
        stored = journal.snapshots.load(platform)
    finally:
        journal.close()
    assert stored is not None
    return stored.taken


async def test_escape_forgets_a_run_key_that_waits_for_the_plan(world: SandboxWorld) -> None:
    first = make_app()
    async with first.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("q")
    posts_before = len(world.flickr.state.photos)
    gate = threading.Event()
    app = gated_app(gate)
    async with app.run_test(size=SIZE) as pilot:

        def snapshot_shown() -> bool:
            found = app.main_screen.view_of("flickr")
            return found is not None and found.snapshot is not None and found.table.row_count > 0

        await until(pilot, snapshot_shown)
        flickr = view(app)
        await pilot.press("a")
        assert "Waiting for the refreshed plan" in log_text(flickr)
        await pilot.press("escape")
        assert "Cancelled: add will not run" in log_text(flickr)
        gate.set()
        await until(pilot, lambda: flickr.state is not None, 60)
        await settle(pilot)
        assert len(world.flickr.state.photos) == posts_before
        assert "Adding" not in log_text(flickr)


async def test_a_run_key_before_the_refresh_acts_on_the_refreshed_plan(
    world: SandboxWorld,
) -> None:
    first = make_app()
    async with first.run_test(size=SIZE) as pilot:
        await ready(pilot)
        plan = plan_of(view(first))
        await pilot.press("q")
    wrong_add, hidden_add = stale_snapshot(plan)
    plan_taken = stored_snapshot_time("flickr")

    gate = threading.Event()
    app = gated_app(gate)
    async with app.run_test(size=SIZE) as pilot:
        flickr = None

        def snapshot_shown() -> bool:
            nonlocal flickr
            found = app.main_screen.view_of("flickr")
            flickr = found
            return found is not None and found.snapshot is not None and found.table.row_count > 0

        await until(pilot, snapshot_shown)
        assert flickr is not None
        assert flickr.state is None  # not planned yet: the rows are the last plan's
        info = str(flickr.query_one("#platform-info").render())
        assert f"as of {as_of(plan_taken)}, refreshing…" in info
        assert flickr.table.row_count == len(plan.items)
        keys = list(flickr.table.rows)
        assert "add" in str(flickr.table.get_row(str(wrong_add))[0])
        assert "refreshed" in str(flickr.query_one("#detail-body").render())

        # Select the photo the snapshot calls an add, and a real add, then press a.
        for file_id in (wrong_add, hidden_add):
            flickr.table.move_cursor(row=flickr.table.get_row_index(str(file_id)))
            await pilot.press("space")
        assert flickr.selected == {wrong_add, hidden_add}
        record_before = world.imatch.db.record("flickr", wrong_add)
        posts_before = len(world.flickr.state.photos)
        await pilot.press("a")
        assert "Waiting for the refreshed plan" in log_text(flickr)
        assert world.imatch.db.record("flickr", hidden_add) is None

        gate.set()
        await until(pilot, lambda: flickr is not None and flickr.state is not None, 60)
        await settle(pilot)
        # The refreshed plan decided: the real add was posted, the error photo was not.
        assert world.imatch.db.record("flickr", hidden_add) is not None
        assert world.imatch.db.record("flickr", wrong_add) == record_before
        assert len(world.flickr.state.photos) == posts_before + 1
        assert "Done: 1 added" in log_text(flickr)
        # The rows stayed where they were; the changed ones were updated in place.
        assert list(flickr.table.rows) == keys
        assert "error" in str(flickr.table.get_row(str(wrong_add))[0])


async def test_without_a_snapshot_the_start_is_as_before(world: SandboxWorld) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        flickr = view(app)
        assert flickr.snapshot is None
        assert "logged in as" in str(flickr.query_one("#platform-info").render())


async def test_a_first_start_shows_the_photos_read_while_they_are_planned(
    world: SandboxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sync.plan

    gate = threading.Event()
    original = sync.plan.make_plan

    def gated_make_plan(*args: Any, **kwargs: Any) -> Plan:
        gate.wait(60)
        return original(*args, **kwargs)

    monkeypatch.setattr(sync.plan, "make_plan", gated_make_plan)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:

        def rows_shown() -> bool:
            found = app.main_screen.view_of("flickr")
            return found is not None and found.is_mounted and found.table.row_count > 0

        await until(pilot, rows_shown)
        flickr = view(app)
        assert flickr.state is None
        info = str(flickr.query_one("#platform-info").render())
        assert "planning…" in info
        assert all(str(flickr.table.get_row(key)[0]).strip() == "…" for key in flickr.table.rows)
        keys = list(flickr.table.rows)
        await pilot.press("space", "a")
        assert "Waiting for the refreshed plan" in log_text(flickr)
        chosen = next(iter(flickr.selected))
        gate.set()
        await until(pilot, lambda: flickr.state is not None, 60)
        await settle(pilot)
        assert list(flickr.table.rows) == keys  # the same rows, their actions filled in
        # The sample library's first flickr photo is new: the refreshed plan adds it.
        assert world.imatch.db.record("flickr", chosen) is not None
        assert "Done: 1 added" in log_text(flickr)


async def test_progress_is_redrawn_a_few_times_a_second_at_most(
    world: SandboxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sync.events import Progress
    from tui.widgets.run_panel import RunPanel

    drawn: list[int] = []
    original = RunPanel.progress

    def spy(self: RunPanel, done: int, total: int) -> None:
        drawn.append(done)
        original(self, done, total)

    monkeypatch.setattr(RunPanel, "progress", spy)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        flickr = view(app)
        now = [time.monotonic() + 1000]
        flickr.monotonic = lambda: now[0]
        for done in range(1, 501):  # 500 photos in 10 seconds
            now[0] += 0.02
            flickr.apply_event(Progress("flickr", done, 500))
        # About five redraws a second, and always the last one.
        assert 45 <= len(drawn) <= 55
        assert drawn[-1] == 500
