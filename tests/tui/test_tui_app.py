"""Pilot tests of the TUI that only look (the fake session: no simulator): the tabs and
their counts, filters and search, the detail pane, selections, help, the command
palette, quitting, warnings. Runs are in test_tui_runs.py, connection problems and
logins in test_tui_connection.py, with the simulators.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.command import CommandList
from textual.widgets import Input, Static

from sync.rules import Action
from tests.fake_session import Captured, FakeSession
from tests.tui.helpers import (
    SIZE,
    log_text,
    make_app,
    plan_of,
    ready,
    shown_ids,
    static_text,
    until,
    view,
)
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen

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


async def test_session_warnings_are_shown(
    captured_sandbox: Captured, fake_session: Callable[[], FakeSession]
) -> None:
    """What the session warns of (tests/e2e: a remote IMatch) is notified."""
    warning = "IMatch at http://example.invalid is not on this computer"
    app = make_app(session=lambda: FakeSession(captured_sandbox, warnings=[warning]))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await until(pilot, lambda: any(n.message == warning for n in app._notifications))


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
