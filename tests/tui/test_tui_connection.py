"""Pilot tests of the TUI's connection screen against the sandbox simulators: IMatch
not running and retried, the flickr login, a missing pixelfed token."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
from textual.widgets import Static

from sandbox.world import SandboxWorld
from tests.tui.helpers import (
    SIZE,
    flickr_candidates,
    make_app,
    ready,
    screen_text,
    settle,
    static_text,
    until,
    view,
)
from tui.screens.connection import ConnectionScreen
from tui.screens.login import LoginScreen
from tui.screens.main import MainScreen

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
