"""The TUI and change detection: the changed filter, the was / will be diff, the baseline
notice and key, and a changed file on pixelfed reposted only after the confirmation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from textual.widgets import Static

from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from sync.rules import Action
from tests.e2e.test_change_detection import configure, edit_metadata
from tests.sync_checks import records, remote_posts, sync_once
from tests.tui.helpers import (
    SIZE,
    log_text,
    make_app,
    plan_of,
    ready,
    settle,
    static_text,
    view,
)
from tui.screens.confirm import ConfirmRepostScreen


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxWorld]:
    library = tmp_path / "library"
    generate_library(library, 3, cases=False)
    with sandbox_world(library) as world:
        configure(world, tmp_path / "home")
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        yield world


def first_photo(world: SandboxWorld) -> int:
    return min(world.imatch.db.categories["Socials|pixelfed"].direct)


def pane_text(app: object) -> str:
    return " ".join(static_text(s) for s in view(app, "pixelfed").detail.query(Static))  # type: ignore[arg-type]


@pytest.fixture
def changed(world: SandboxWorld) -> tuple[int, str]:
    """Published, then its title and its file changed in IMatch: (file id, status id)."""
    assert sync_once()[0] == 0
    file_id = first_photo(world)
    status_id = records(world, "pixelfed")[file_id][0]["status_id"]
    edit_metadata(world, file_id, {"tag": "title", "op": "set", "value": "Evening fog"})
    path = Path(world.imatch.db.files[file_id].file_name)
    Image.new("RGB", (48, 32), (20, 200, 30)).save(path, "JPEG")
    return file_id, status_id


async def test_a_changed_file_is_reposted_only_after_the_confirmation(
    world: SandboxWorld, changed: tuple[int, str]
) -> None:
    file_id, status_id = changed
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("right_square_bracket")  # the pixelfed tab
        pixelfed = view(app, "pixelfed")
        assert [i.file_id for i in plan_of(pixelfed).bucket(Action.CHANGED)] == [file_id]
        await pilot.press("8")
        assert pixelfed.filter_name == "changed"
        assert [i.file_id for i in pixelfed.visible_items()] == [file_id]
        await pilot.pause()
        shown = pane_text(app)
        assert "What changed (was / will be)" in shown
        assert "Evening fog" in shown  # the caption as it will be

        # detect_changes = "show": sync all leaves it alone until it is chosen.
        await pilot.press("s")
        assert not isinstance(app.screen, ConfirmRepostScreen)
        assert "Nothing to do on pixelfed." in log_text(pixelfed)
        # Selected, a changed photo runs whatever the setting; a changed file asks first.
        await pilot.press("space", "s")
        modal = app.screen
        assert isinstance(modal, ConfirmRepostScreen)
        explained = " ".join(static_text(s) for s in modal.query(Static))
        assert "likes and comments" in explained
        await pilot.press("n")
        await settle(pilot)
        assert records(world, "pixelfed")[file_id][0]["status_id"] == status_id
        assert status_id in remote_posts(world, "pixelfed")
        assert "Repost declined" in log_text(pixelfed)

        await pilot.press("8")
        assert [i.file_id for i in pixelfed.visible_items()] == [file_id]  # still changed: file
        await pilot.press("space", "s")
        assert isinstance(app.screen, ConfirmRepostScreen)
        await pilot.press("y")
        await settle(pilot)
        new_status = records(world, "pixelfed")[file_id][0]["status_id"]
        assert new_status != status_id
        assert plan_of(pixelfed).item(file_id).action is Action.UNCHANGED  # type: ignore[union-attr]


async def test_the_baseline_is_offered_and_recorded_without_a_platform_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    library = tmp_path / "library"
    generate_library(library, 3, cases=False, posted_share=1.0)
    with sandbox_world(library) as world:
        configure(world, tmp_path / "home")
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        app = make_app()
        async with app.run_test(size=SIZE) as pilot:
            await ready(pilot)
            flickr = view(app)
            assert plan_of(flickr).baseline_missing
            assert "No baseline" in log_text(flickr)
            calls = len(world.flickr.log)
            await pilot.press("B")
            await settle(pilot)
            assert len(world.flickr.log) == calls
            assert "Baseline recorded for 3 posted photos" in log_text(flickr)
            assert not plan_of(flickr).baseline_missing
