"""What the TUI tests share: the app as tested (retries that do not wait, a fixed clock,
laid out but painted once), and waiting on it by condition rather than by time."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static

from sandbox.world import SandboxWorld
from sync.engine import RetryPolicy
from sync.plan import Plan
from sync.session import SyncSession
from tests.fake_session import candidates
from tests.tui.painting import unpainted
from tui.app import SocialsApp
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
