"""Pilot tests of the TUI against the sandbox simulators: every key and every flow.

Each test gets fresh simulators (the flows change them) and asserts on what the
simulators hold afterwards, not only on what the screen says.
"""

from __future__ import annotations

import asyncio
import io
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console
from textual.command import CommandList
from textual.pilot import Pilot
from textual.widgets import Input, Static

from sandbox.library import LibraryInfo
from sandbox.world import SandboxWorld, sandbox_world
from sync.engine import RetryPolicy
from sync.plan import Plan
from sync.rules import Action
from sync.session import SyncSession
from tests.fake_session import Captured, FakeSession, candidates
from tests.sync_checks import NO_RATE_LIMITS
from tests.tui.painting import unpainted
from tui.app import SocialsApp
from tui.screens.confirm import ConfirmDeleteScreen
from tui.screens.connection import ConnectionScreen
from tui.screens.help import HelpScreen
from tui.screens.login import LoginScreen
from tui.screens.main import MainScreen
from tui.widgets.platform_view import PlatformView

FIXED_NOW = datetime(2026, 1, 15, 12, 0, 0)
SIZE = (120, 40)


async def no_sleep(seconds: float) -> None:
    return None


def make_app(
    sleep: Callable[[float], Awaitable[None]] = no_sleep,
    timer: Callable[[], float] = time.monotonic,
    session: Callable[[], Any] | None = None,
) -> SocialsApp:
    """The real app with retries that do not wait (the platforms' and IMatch's) and a
    clock that does not move (`timer` is what rate limits and back-off measure waits
    with). `session`: another session factory, e.g. the `fake_session` fixture for tests
    that only look. Laid out but painted only once, at the end of the test (see
    tests/tui/painting.py)."""

    def real_session() -> SyncSession:
        real = SyncSession(retry=RetryPolicy(base_delay=0, sleep=sleep, clock=timer))
        real.client.retry_delay = 0  # IMatch's few quick retries do not wait either
        return real

    app = SocialsApp(session or real_session, clock=lambda: FIXED_NOW, imatch_label="sandbox")
    # Textual's own setting (TEXTUAL_ANIMATIONS=none): the tab underline jumps instead of
    # sliding for 0.3 s, which Pilot waits for after every key; where things end is the same.
    app.animation_level = "none"
    return unpainted(app)


def flickr_candidates(world: SandboxWorld) -> int:
    """Photos the sample library has for flickr: direct members and flagged files."""
    return candidates(world.imatch.db, "flickr")


@pytest.fixture
def world(
    sample_library: LibraryInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SandboxWorld]:
    """The simulators on the session's sample library (read-only files, fresh database),
    with no client-side rate limit: the limiter has tests of its own, and with retries
    that do not sleep it would wait by spinning."""
    with sandbox_world(sample_library.path) as running:
        running.configure_home(tmp_path, NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
        yield running


async def until(pilot: Pilot[int], condition: Callable[[], bool], seconds: float = 15) -> None:
    """Let the app run until `condition` holds (fails after `seconds`).

    Polls without `pilot.pause()`, which repaints the whole screen on every call (50 times
    a second while a scan or a run goes on); the app runs on this loop meanwhile."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


def main_screen(app: SocialsApp) -> MainScreen:
    return app.main_screen


def loaded(app: SocialsApp) -> bool:
    screen = main_screen(app)
    views = screen.views()
    return bool(views) and all(v.state is not None for v in views) and not screen.busy


def screen_text(app: SocialsApp) -> str:
    """Every Static's text on the current screen (empty until the screen has composed)."""
    return " ".join(static_text(s) for s in app.screen.query(Static))


async def ready(pilot: Pilot[int]) -> MainScreen:
    await until(pilot, lambda: loaded(pilot.app))  # type: ignore[arg-type]
    await pilot.pause()
    return main_screen(pilot.app)  # type: ignore[arg-type]


async def settle(pilot: Pilot[int]) -> None:
    """Wait for every worker (run, rescan) and the messages they posted."""
    await pilot.app.workers.wait_for_complete()
    await until(pilot, lambda: loaded(pilot.app))  # type: ignore[arg-type]
    await pilot.pause()


def view(app: SocialsApp, platform: str = "flickr") -> PlatformView:
    found = main_screen(app).view_of(platform)
    assert found is not None
    return found


def plan_of(v: PlatformView) -> Plan:
    """The view's plan, which must be there by now."""
    assert v.state is not None
    assert v.state.plan is not None
    return v.state.plan


def shown_ids(v: PlatformView) -> list[int]:
    return [int(str(key.value)) for key in v.table.rows]


def log_text(v: PlatformView) -> str:
    return "\n".join(v.run_panel.log_lines())


def static_text(widget: Static) -> str:
    """The text a Static shows, whatever it holds (str, Content, Text or a Rich group)."""
    content = widget.content
    if isinstance(content, str):
        return content
    if hasattr(content, "plain"):
        return str(content.plain)
    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(content)
    return console.export_text()


def flickr_titles(world: SandboxWorld) -> list[str]:
    return sorted(p.title for p in world.flickr.state.photos.values())


# --- startup, filter, search, detail ------------------------------------------------------


async def test_startup_shows_a_tab_per_platform_with_counts(
    fake_session: Callable[[], FakeSession], captured_sandbox: Captured
) -> None:
    app = make_app(session=fake_session)
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(pilot)
        assert [v.platform for v in screen.views()] == ["flickr", "pixelfed", "mastodon"]
        assert app.sub_title == "IMatch sandbox"
        flickr = view(app)
        counts = plan_of(flickr).counts()
        expected = captured_sandbox.candidates["flickr"]
        assert flickr.table.row_count == len(plan_of(flickr).items) == expected
        bar = str(flickr.filter_bar.render())
        assert f"Add {counts['add']}" in bar
        assert f"Errors {counts['error']}" in bar
        assert "logged in as demo" in static_text(flickr.query_one("#platform-info", Static))
        assert f"Scanned IMatch: {expected} photos" in log_text(flickr)


async def test_filter_keys_and_text_search(fake_session: Callable[[], FakeSession]) -> None:
    app = make_app(session=fake_session)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        flickr = view(app)
        plan = plan_of(flickr)
        for key, action in (("6", Action.ERROR), ("2", Action.ADD), ("5", Action.DELETE)):
            await pilot.press(key)
            assert shown_ids(flickr) == [i.file_id for i in plan.bucket(action)]
        await pilot.press("1")
        assert flickr.table.row_count == len(plan.items)
        await pilot.press("slash")
        search = flickr.query_one("#search", Input)
        assert search.has_focus
        await pilot.press(*"e 2")
        wanted = [i.file_id for i in plan.items if "e 2" in i.photo.title.lower()]
        assert wanted
        assert shown_ids(flickr) == wanted
        await pilot.press("enter")
        assert flickr.table.has_focus
        assert shown_ids(flickr) == wanted
        await pilot.press("slash", "escape")
        assert flickr.table.row_count == len(plan.items)
        assert not search.display


async def test_detail_pane_shows_exactly_the_rendered_post(
    fake_session: Callable[[], FakeSession],
) -> None:
    app = make_app(session=fake_session)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        flickr = view(app)
        detail = flickr.query_one("#detail-body", Static)
        await pilot.press("2")
        first = plan_of(flickr).bucket(Action.ADD)[0]
        post = first.rendered.post
        text = static_text(detail)
        assert first.photo.name in text
        assert "will be posted" in text
        assert post.title in text
        for tag in post.tags:
            assert tag in text.replace("\n", " ")
        assert "Privacy" in text
        assert "Albums" in text
        assert "Groups" in text
        await pilot.press("6")
        error_item = plan_of(flickr).bucket(Action.ERROR)[0]
        text = static_text(detail)
        assert error_item.photo.name in text
        for name in error_item.verdict.errors:
            assert f"✗ {name}" in text
        assert "what to fix in IMatch" in text
        await pilot.press("right_square_bracket")
        pixelfed = view(app, "pixelfed")
        await pilot.press("2")
        post = plan_of(pixelfed).bucket(Action.ADD)[0].rendered.post
        text = static_text(pixelfed.query_one("#detail-body", Static)).replace("\n", " ")
        assert "Caption" in text
        assert "Alt text" in text
        assert " ".join(post.alt_text.split()[:3]) in text


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


async def test_action_on_a_selection_outside_its_bucket_says_so(
    fake_session: Callable[[], FakeSession],
) -> None:
    """On the fake session: a run reaching the session would fail the test (no post)."""
    app = make_app(session=fake_session)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        flickr = view(app)
        await pilot.press("7", "space", "u")
        await pilot.app.workers.wait_for_complete()
        assert "Nothing to update among the 1 selected photo (" in log_text(flickr)
        await pilot.press("ctrl+a")
        assert flickr.selected == set(shown_ids(flickr))  # the rest of the shown ones too
        await pilot.press("ctrl+a")
        assert not flickr.selected  # every shown photo was selected: unselect them
        await pilot.press("6", "ctrl+a")
        assert flickr.selected == set(shown_ids(flickr))


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


# --- help, palette, quit ------------------------------------------------------------------


async def test_help_lists_every_key(fake_session: Callable[[], FakeSession]) -> None:
    from tui.keys import APP_BINDINGS, PHOTO_BINDINGS, RUN_BINDINGS

    app = make_app(session=fake_session)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = " ".join(static_text(s) for s in app.screen.query(Static))
        for binding in (*RUN_BINDINGS, *PHOTO_BINDINGS, *APP_BINDINGS):
            assert binding.description in text
            assert binding.id
            assert binding.tooltip
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)


async def test_command_palette_offers_the_actions(fake_session: Callable[[], FakeSession]) -> None:
    app = make_app(session=fake_session)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        flickr = view(app)
        await pilot.press("ctrl+p")
        await pilot.press(*"show errors")
        await until(pilot, lambda: app.screen.query_one(CommandList).option_count > 0)
        await pilot.press("enter")
        await until(pilot, lambda: flickr.filter_name == "errors")
        assert shown_ids(flickr) == [i.file_id for i in plan_of(flickr).bucket(Action.ERROR)]


async def test_q_quits(fake_session: Callable[[], FakeSession]) -> None:
    app = make_app(session=fake_session)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running)
    assert app.return_code == 0


# --- connection problems and login --------------------------------------------------------


async def test_imatch_not_running_shows_what_to_do_then_retry_connects(
    world: SandboxWorld, tmp_path: Path
) -> None:
    config = tmp_path / "config" / "config.toml"
    good = config.read_text()
    config.write_text(
        re.sub(r'url = "http://127\.0\.0\.1:\d+"', 'url = "http://127.0.0.1:9"', good, count=1)
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "IMatch is not reachable" in screen_text(app))
        text = screen_text(app)
        assert "press r to try again" in text
        config.write_text(good)
        await pilot.press("r")
        await ready(pilot)
        assert isinstance(app.screen, MainScreen)
        assert view(app).table.row_count == flickr_candidates(world)


def approve(authorize_url: str) -> str:
    """Approve on the simulator's authorize page, like the user in a browser."""
    with httpx.Client(timeout=10) as client:
        page = client.get(authorize_url).text
        form = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
        form["user_nsid"] = re.search(r'<option value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        form["decision"] = "approve"
        answer = client.post(authorize_url.split("?", 1)[0], data=form).text
    found = re.search(r'<code id="oauth-verifier">([0-9-]+)</code>', answer)
    assert found
    return found.group(1)


async def test_flickr_login_from_the_connection_screen(world: SandboxWorld, tmp_path: Path) -> None:
    (tmp_path / "state" / "flickr-token.json").unlink()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "flickr: cannot log in" in screen_text(app))
        text = screen_text(app)
        assert "Press l to log in" in text
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LoginScreen))
        login = app.screen
        url_widget = login.query_one("#login-url", Static)
        await until(pilot, lambda: static_text(url_widget).startswith("http"))
        code = await asyncio.to_thread(approve, static_text(url_widget).strip())
        await pilot.press(*code, "enter")
        await until(pilot, lambda: login.succeeded)
        await pilot.press("enter")  # Continue
        await until(pilot, lambda: view(app).ready)
        await settle(pilot)
        assert (tmp_path / "state" / "flickr-token.json").is_file()
        assert "logged in as demo" in static_text(view(app).query_one("#platform-info", Static))
        assert view(app).table.row_count == flickr_candidates(world)


async def test_missing_pixelfed_token_is_explained(world: SandboxWorld) -> None:
    world.imatch.db.app_variables["pixelfed_token"] = ""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConnectionScreen))

        def shown() -> str:
            return " ".join(static_text(s) for s in app.screen.query(Static))

        await until(pilot, lambda: "pixelfed: cannot log in" in shown())
        assert "pixelfed_token" in shown()
        await pilot.press("c")
        await ready(pilot)
        pixelfed = view(app, "pixelfed")
        assert not pixelfed.ready
        info = static_text(pixelfed.query_one("#platform-info", Static))
        assert "pixelfed cannot run" in info
        statuses = len(world.pixelfed.state.statuses)
        await pilot.press("right_square_bracket", "a")
        await pilot.app.workers.wait_for_complete()
        assert len(world.pixelfed.state.statuses) == statuses


async def test_session_warnings_are_shown(
    captured_sandbox: Captured, fake_session: Callable[[], FakeSession]
) -> None:
    """What the session warns of (tests/e2e: a remote IMatch) is notified."""
    warning = "IMatch at http://example.invalid is not on this computer"
    app = make_app(session=lambda: FakeSession(captured_sandbox, warnings=[warning]))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await until(pilot, lambda: any(n.message == warning for n in app._notifications))


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


async def test_a_hidden_tab_fills_its_table_when_it_is_shown(
    fake_session: Callable[[], FakeSession],
) -> None:
    app = make_app(session=fake_session)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        pixelfed = view(app, "pixelfed")
        # Planned, counted and selectable already; only the rows wait for the tab.
        assert pixelfed.items
        assert pixelfed.table.row_count == 0
        await pilot.press("right_square_bracket")
        await until(pilot, lambda: pixelfed.table.row_count == len(pixelfed.items))
        assert set(shown_ids(pixelfed)) == {item.file_id for item in pixelfed.items}
        # Back on flickr its table is as it was.
        flickr = view(app)
        await pilot.press("left_square_bracket")
        assert flickr.table.row_count == len(flickr.items)
