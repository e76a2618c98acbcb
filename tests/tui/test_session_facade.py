"""The TUI drives the session façade: errors after opening are shown (never a hang), the
selection goes through `Plan.select`, and run summaries use the headless words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from sandbox.world import SandboxWorld
from sync.events import RunSummary
from sync.rules import Action
from tests.fake_session import Captured, FakeSession
from tests.tui.helpers import (
    SIZE,
    make_app,
    ready,
    screen_text,
    until,
    view,
)
from tui.screens.connection import ConnectionScreen


class BrokenAfterOpen(FakeSession):
    """A session whose platforms cannot be listed: a bug below the UI, after `open`."""

    def taking_part(self) -> tuple[str, ...]:
        raise AttributeError("'NoneType' object has no attribute 'enabled_platforms'")


async def test_an_unexpected_error_after_opening_is_shown_not_a_hang(
    captured_sandbox: Captured, fake_session: Callable[[], FakeSession]
) -> None:
    app = make_app(session=lambda: BrokenAfterOpen(captured_sandbox))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ConnectionScreen))
        await pilot.pause()
        text = " ".join(screen_text(app).split())
        assert "enabled_platforms" in text
        assert "imatch-socials.log" in text  # where the details are
        assert "Connecting to IMatch" not in text
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running)


async def test_the_connection_screen_shows_the_doctors_checks(world: SandboxWorld) -> None:
    world.imatch.db.app_variables["pixelfed_token"] = ""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: "pixelfed: cannot log in" in screen_text(app))
        text = " ".join(screen_text(app).split())
        assert "as imatch-socials doctor checks it" in text
        assert "OK variable pixelfed_url" in text
        assert "FIX variable pixelfed_token: unset: create the IMatch application variable" in text
        await pilot.press("c")
        await ready(pilot)


class BrokenPrepare(FakeSession):
    """Planning a platform fails with a bug."""

    def __init__(self, captured: Captured, broken: str) -> None:
        super().__init__(captured)
        self.broken = broken

    async def prepare(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if name == self.broken:
            raise KeyError("no such column")
        return await super().prepare(name, *args, **kwargs)


async def test_an_unexpected_error_while_planning_is_shown_on_the_tabs(
    captured_sandbox: Captured, fake_session: Callable[[], FakeSession]
) -> None:
    names = list(captured_sandbox.states)
    broken = names[0]
    app = make_app(session=lambda: BrokenPrepare(captured_sandbox, broken))
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: len(app.main_screen.views()) == len(names))

        def log() -> str:
            return "\n".join(view(app, broken).run_panel.log_lines())

        await until(pilot, lambda: "no such column" in log())
        assert "imatch-socials.log" in log().replace("\n", "")  # (wrapped)
        await until(pilot, lambda: not app.main_screen.busy)  # no tab left waiting
        assert not isinstance(app.screen, ConnectionScreen)


async def test_choosing_a_bucket_is_plan_select(
    fake_session: Callable[[], FakeSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sync.plan import Plan

    calls: list[tuple[Any, Any]] = []
    original = Plan.select

    def recording(self: Plan, file_ids: Any = None, actions: Any = None) -> Any:
        calls.append((file_ids, actions))
        return original(self, file_ids, actions)

    monkeypatch.setattr(Plan, "select", recording)
    app = make_app(session=fake_session)
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        flickr = view(app)
        assert flickr.state is not None
        assert flickr.state.plan is not None
        plan = flickr.state.plan
        chosen = flickr.choose({Action.ADD})
        assert [i.file_id for i in chosen.items] == [
            i.file_id for i in plan.items if i.action is Action.ADD
        ]
        assert calls
        assert set(calls[-1][1]) == {Action.ADD}


def test_the_tui_sentence_is_the_shared_summary_text() -> None:
    from sync.summary_text import run_sentence
    from tui.widgets.platform_view import summary_sentence

    summary = RunSummary("somewhere", added=2, deleted=1, cleared=1, failed=1, unchanged=4)
    assert summary_sentence(summary) == run_sentence(summary)


class BrokenRun(FakeSession):
    """A run that fails with a bug below the UI."""

    async def run(self, name: str, *args: Any, **kwargs: Any) -> RunSummary:
        raise RuntimeError("the engine lost its plan")


async def test_a_run_stopped_by_a_bug_says_so_and_frees_the_tab(
    captured_sandbox: Captured, fake_session: Callable[[], FakeSession]
) -> None:
    app = make_app(session=lambda: BrokenRun(captured_sandbox))
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        flickr = view(app)
        assert flickr.choose({Action.ADD}).items
        await pilot.press("a")

        def log() -> str:
            return "\n".join(flickr.run_panel.log_lines()).replace("\n", "")

        await until(pilot, lambda: "the engine lost its plan" in log())
        assert "The run stopped: RuntimeError" in log()
        assert "imatch-socials.log" in log()
        await until(pilot, lambda: flickr.platform not in app.main_screen.busy)
        assert not flickr.running
