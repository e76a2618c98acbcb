"""The TUI with the keyboard only, at 80x24 as well as 120x40, and what its words say.

Pilot tests against the sandbox: the detail pane is reached and scrolled without a
mouse, home/end move between photos, `l` answers when logged in, the 80x24 layout keeps
every column, filter and essential key on screen, and messages are plain and counted.
"""

from __future__ import annotations

import dataclasses
import io
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import DataTable, RichLog, Static
from textual.widgets._footer import FooterKey
from textual.widgets._toast import Toast

from sandbox.world import SandboxWorld
from sync.logs import setup_logging
from sync.plan import PlanItem, text_only_note
from sync.rules import Action
from tests.fake_session import Captured, FakeSession
from tests.tui.helpers import (
    SIZE,
    log_text,
    make_app,
    plan_of,
    ready,
    settle,
    static_text,
    until,
    view,
)
from tui.screens.confirm import ConfirmDeleteScreen, ConfirmRepostScreen
from tui.screens.connection import ConnectionScreen
from tui.screens.help import HelpScreen
from tui.screens.login import LoginScreen
from tui.widgets.detail_pane import DetailPane, describe
from tui.widgets.platform_view import PlatformView

SMALL = (80, 24)


def detail_text(v: PlatformView) -> str:
    return static_text(v.query_one("#detail-body", Static))


def first_with_error(v: PlatformView, name: str) -> PlanItem:
    return next(i for i in plan_of(v).items if name in i.verdict.errors)


async def highlight(pilot: Pilot[int], v: PlatformView, item: PlanItem) -> None:
    """Show every photo and put the cursor on `item` (as the arrow keys would)."""
    v.set_filter("all")
    v.table.move_cursor(row=v.table.get_row_index(str(item.file_id)))
    await pilot.pause()


def rendered_lines(pane: DetailPane) -> list[str]:
    """The detail body as the terminal shows it, line by line, at the pane's width."""
    assert pane.item is not None
    width = pane.scrollable_content_region.width
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(describe(pane.item, pane.stacked, pane.limits, pane.failure))
    return console.export_text().splitlines()


# --- keys ---------------------------------------------------------------------------------


async def test_home_and_end_go_to_the_first_and_last_photo(
    fake_session: Callable[[], FakeSession],
) -> None:
    app = make_app(session=fake_session)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        table = view(app).table
        await pilot.press("end")
        assert table.cursor_row == table.row_count - 1
        assert table.scroll_x == 0  # the Action column is still there
        await pilot.press("home")
        assert table.cursor_row == 0
        assert table.scroll_x == 0


async def test_the_detail_pane_is_reached_and_scrolled_with_the_keyboard(
    fake_session: Callable[[], FakeSession],
) -> None:
    app = make_app(session=fake_session)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        flickr = view(app)
        await pilot.press("tab")
        assert isinstance(app.focused, DetailPane)
        pane = flickr.detail
        assert pane.max_scroll_y > 0  # the post is longer than the pane
        await pilot.press("pagedown")
        assert pane.scroll_y > 0
        await pilot.press("end")
        assert pane.scroll_y == pane.max_scroll_y
        await pilot.press("escape")
        assert app.focused is flickr.table
        await pilot.press("enter")
        assert app.focused is pane
        await pilot.press("escape", "down")
        assert flickr.table.cursor_row == 1


async def test_at_80_columns_enter_opens_the_details_and_escape_closes_them(
    fake_session: Callable[[], FakeSession],
) -> None:
    app = make_app(session=fake_session)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        flickr = view(app)
        assert not flickr.detail.display  # no room beside the table: hidden until asked
        await pilot.press("enter")
        assert flickr.detail.display
        assert app.focused is flickr.detail
        assert "What will be posted" in detail_text(flickr)
        # The pane's height is known once it is laid out; a busy machine takes a frame more.
        await until(pilot, lambda: flickr.detail.max_scroll_y > 0)
        await pilot.press("pagedown")
        await until(pilot, lambda: flickr.detail.scroll_y > 0)
        await pilot.press("escape")
        assert not flickr.detail.display
        assert app.focused is flickr.table
        await pilot.press("i")
        assert flickr.detail.display
        assert app.focused is flickr.table  # i shows it; the arrows still move in the table
        await pilot.press("i")
        assert not flickr.detail.display


async def test_a_refreshed_plan_keeps_the_details_where_the_reader_scrolled(
    fake_session: Callable[[], FakeSession],
) -> None:
    """The plan refreshed while the details were read: the same photo is shown again and
    the pane stays where it was (it jumped back to the top, under the reader's eyes)."""
    app = make_app(session=fake_session)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        flickr = view(app)
        await pilot.press("enter")
        await until(pilot, lambda: flickr.detail.max_scroll_y > 0)
        await pilot.press("pagedown")
        await until(pilot, lambda: flickr.detail.scroll_y > 0)
        scrolled = flickr.detail.scroll_y
        same = flickr.detail.item
        assert same is not None
        flickr.detail.show(dataclasses.replace(same), limits=flickr.detail.limits)
        await pilot.pause()
        assert flickr.detail.scroll_y == scrolled
        other = next(i for i in flickr.state.plan.items if i.photo.id != same.photo.id)
        flickr.detail.show(other)
        await until(pilot, lambda: flickr.detail.scroll_y == 0)


async def test_l_when_logged_in_says_so(fake_session: Callable[[], FakeSession]) -> None:
    app = make_app(session=fake_session)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("l")
        await pilot.pause()
        assert not isinstance(app.screen, LoginScreen)
        assert "Already logged in to flickr as demo." in log_text(view(app))
        assert any("Already logged in" in n.message for n in app._notifications)


# --- 80x24 --------------------------------------------------------------------------------


async def test_80x24_keeps_errors_filters_and_essential_keys_on_screen(
    world: SandboxWorld,
) -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        flickr = view(app)
        table = flickr.table
        keys = [str(column.key.value) for column in table.ordered_columns]
        assert keys[:3] == ["action", "name", "errors"]
        assert "title" in keys
        assert table.max_scroll_x == 0  # every column fits: nothing is off-screen
        errors = first_with_error(flickr, "missing title")
        row = table.get_row(str(errors.file_id))
        assert "missing title" in str(row[keys.index("errors")])
        bar = str(flickr.filter_bar.render())
        for label in ("All", "Add", "Update", "Metadata", "Delete", "Errors", "Unchanged"):
            assert re.search(rf"\d {label} [\d,]+", bar), label
        assert flickr.filter_bar.size.height == 2  # wrapped, not cut
        shown = [
            key.description
            for key in app.screen.query(FooterKey)
            if key.display and key.region.right <= SMALL[0]
        ]
        for wanted in ("Search", "Help", "Quit", "Sync all", "Details"):
            assert wanted in shown
        assert not any(key.description == "R" for key in app.screen.query(FooterKey))
        await pilot.press("2", "space", "a")
        await settle(pilot)
        log = flickr.run_panel.query_one(RichLog)
        assert all(line.cell_length <= log.scrollable_content_region.width for line in log.lines)
        assert log.max_scroll_x == 0


async def test_hashtags_wrap_between_words_in_a_narrow_detail_pane(
    fake_session: Callable[[], FakeSession],
) -> None:
    app = make_app(session=fake_session)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        await pilot.press("right_square_bracket")
        pixelfed = view(app, "pixelfed")
        item = plan_of(pixelfed).bucket(Action.ADD)[0]
        await highlight(pilot, pixelfed, item)
        await pilot.press("enter")
        await pilot.pause()
        lines = rendered_lines(pixelfed.detail)
        words = {w for line in lines for w in line.split()}
        hashtags = [w for w in item.rendered.post.caption.split() if w.startswith("#")]
        assert hashtags
        for tag in hashtags:
            assert tag in words, tag  # whole on one line, never broken


async def test_notifications_never_cover_the_log(fake_session: Callable[[], FakeSession]) -> None:
    app = make_app(session=fake_session)
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await ready(pilot)
        app.notify("A rather long notification: https://www.flickr.com/photos/demo/1234567890")
        await until(pilot, lambda: bool(app.screen.query(Toast)))
        await pilot.pause()
        log = view(app).run_panel.query_one(RichLog)
        for toast in app.screen.query(Toast):
            assert not toast.region.overlaps(log.region)


# --- words --------------------------------------------------------------------------------


async def test_a_run_of_one_photo_says_photo(world: SandboxWorld) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("2", "space", "a")
        await settle(pilot)
        log = log_text(view(app))
        assert "Adding 1 photo on flickr…" in log
        assert "1 photos" not in log


async def test_limit_errors_say_the_count_and_the_limit(world: SandboxWorld) -> None:
    world.pixelfed.settings.max_caption_length = 450  # the instance's limit, not a default
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        flickr = view(app)
        tags = first_with_error(flickr, "too many tags")
        await highlight(pilot, flickr, tags)
        count = tags.rendered.size.tags
        assert count > 75
        assert f"✗ too many tags: {count} tags; at most 75" in detail_text(flickr)
        await pilot.press("right_square_bracket")
        pixelfed = view(app, "pixelfed")
        caption = first_with_error(pixelfed, "caption too long")
        await highlight(pilot, pixelfed, caption)
        chars = caption.rendered.size.caption_chars
        text = detail_text(pixelfed).replace("\n", " ")
        assert f"✗ caption too long: {chars:,} characters; at most 450" in text


async def test_a_refused_upload_shows_the_platform_reason(world: SandboxWorld) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("right_square_bracket")
        pixelfed = view(app, "pixelfed")
        adds = plan_of(pixelfed).bucket(Action.ADD)
        damaged = next(i for i in adds if i.photo.name == "000057.jpg")
        await highlight(pilot, pixelfed, damaged)
        await pilot.press("space", "a")
        await settle(pilot)
        again = plan_of(pixelfed).item(damaged.file_id)
        assert again is not None
        await highlight(pilot, pixelfed, again)
        text = detail_text(pixelfed).replace("\n", " ")
        assert "The last run failed" in text
        assert "upload rejected: The file must be a file of type" in text


async def test_network_failures_are_plain_words_on_screen(
    world: SandboxWorld, tmp_path: Path
) -> None:
    setup_logging()  # as the command does: the raw details go to the log file
    config = tmp_path / "config" / "config.toml"
    config.write_text(
        re.sub(r'(\[flickr\]\nurl = )"[^"]+"', r'\1"http://127.0.0.1:9"', config.read_text()),
        encoding="utf-8",
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: bool(app.main_screen.views()) and view(app).state is not None)
        await pilot.pause()
        shown = " ".join(static_text(s) for s in app.screen_stack[-1].query(Static))
        shown += " ".join(static_text(s) for s in app.main_screen.query(Static))
        assert "nothing answers at 127.0.0.1:9" in shown
        for raw in ("HTTPConnectionPool", "urllib3", "Max retries", "Errno", "object at 0x"):
            assert raw not in shown
    log_file = (tmp_path / "logs" / "imatch-socials.log").read_text(encoding="utf-8")
    assert "HTTPConnectionPool(host='127.0.0.1', port=9)" in log_file  # the details are kept


async def test_a_pixelfed_update_is_text_only_and_counted_so(world: SandboxWorld) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("right_square_bracket", "3")
        pixelfed = view(app, "pixelfed")
        updates = plan_of(pixelfed).bucket(Action.UPDATE)
        assert updates
        assert all(item.verdict.note == text_only_note("pixelfed") for item in updates)
        assert text_only_note("pixelfed") == "text only: pixelfed cannot replace the image"
        text = detail_text(pixelfed).replace("\n", " ")
        assert "will be updated, text only: pixelfed cannot replace the image" in text
        assert "new image and text" not in text
        await pilot.press("u")
        await settle(pilot)
        log = log_text(pixelfed)
        assert f"Done: {len(updates)} metadata updated," in log
        assert "updated 000009.jpg" not in log.replace("metadata updated 000009.jpg", "")
        await pilot.press("question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_text = " ".join(static_text(s) for s in app.screen.query(Static))
        assert "text only on pixelfed and mastodon (they cannot replace the image)" in " ".join(
            help_text.split()
        )


@pytest.mark.parametrize("size", [SMALL, SIZE])
async def test_the_table_fills_its_width_without_sideways_scrolling(
    fake_session: Callable[[], FakeSession], size: tuple[int, int]
) -> None:
    app = make_app(session=fake_session)
    async with app.run_test(size=size) as pilot:
        await ready(pilot)
        table: DataTable[object] = view(app).table
        assert table.max_scroll_x == 0
        assert table.virtual_size.width >= table.scrollable_content_region.width - 4


async def test_a_utf16_config_is_a_configuration_problem_not_imatch(
    captured_sandbox: Captured, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No simulator: the sandbox's config, saved as UTF-16, is refused before any call."""
    written = (captured_sandbox.home / "config" / "config.toml").read_text(encoding="utf-8")
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir()
    config.write_bytes(written.encode("utf-16"))
    monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConnectionScreen))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ConnectionScreen)
        assert [p.where for p in screen.problems] == ["configuration"]
        text = " ".join(static_text(s) for s in screen.query(Static))
        assert "config.toml must be UTF-8" in " ".join(text.split())
        assert "not reachable" not in text


@pytest.mark.parametrize("screen_class", [ConfirmDeleteScreen, ConfirmRepostScreen])
async def test_at_80x24_a_confirmation_shows_its_answers(
    fake_session: Callable[[], FakeSession], screen_class: type[ConfirmDeleteScreen]
) -> None:
    """With a dozen photos listed, Yes and No were below the terminal's last row: a
    photographer at 80x24 saw a question and no way to answer it."""
    app = make_app(session=fake_session)
    async with app.run_test(size=SMALL) as pilot:
        await ready(pilot)
        items = list(view(app).state.plan.items)[:12]  # type: ignore[union-attr]
        app.push_screen(screen_class("flickr", items))
        await until(pilot, lambda: isinstance(app.screen, screen_class))
        await pilot.pause()
        for button in ("#confirm-no-button", "#confirm-yes-button"):
            region = app.screen.query_one(button).region
            assert region.height > 0, (button, region)
            assert region.bottom <= SMALL[1], (button, region)
            widget, _ = app.screen.get_widget_at(region.x + 1, region.y + 1)
            assert widget is app.screen.query_one(button), button


async def test_the_footer_is_built_again_only_when_its_keys_change(
    fake_session: Callable[[], FakeSession],
) -> None:
    """Textual's footer built all its keys again on every focus change (a dozen times per
    start, most of the CPU of a key press); now the same keys stay, and a real change
    (another run holds the lock: the run keys are disabled) still shows."""
    app = make_app(session=fake_session)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        before = list(app.screen.query(FooterKey))
        await pilot.press("tab")  # the details
        assert isinstance(app.focused, DetailPane)
        await pilot.press("shift+tab", "down", "down")  # back to the table, another photo
        await pilot.pause()
        assert list(app.screen.query(FooterKey)) == before  # the very same widgets
        assert not any(key.has_class("-disabled") for key in before if key.action == "add")

        def add_disabled() -> bool:
            return any(k.action == "add" and k.has_class("-disabled") for k in footer_keys())

        def footer_keys() -> list[FooterKey]:
            return list(app.screen.query(FooterKey))

        app.main_screen.locked_by = "another run (pid 1)"  # the run keys show, disabled
        app.main_screen.refresh_bindings()
        await until(pilot, add_disabled)
