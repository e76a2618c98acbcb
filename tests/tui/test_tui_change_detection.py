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
from sync import paths
from sync.journal import Journal
from sync.rules import Action
from tests.e2e.test_change_detection import configure, edit_metadata
from tests.e2e.test_one_run_at_a_time import hold_lock_in_child
from tests.sync_checks import records, remote_posts, sync_once, without_rate_limits
from tests.tui.helpers import (
    SIZE,
    log_text,
    make_app,
    plan_of,
    ready,
    screen_text,
    settle,
    static_text,
    until,
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


async def test_the_baseline_waits_while_another_process_holds_the_run_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`B` while another run (another process) holds the lock records nothing, says so
    on the tab, and leaves the platform usable: once the lock is free, `B` records it.
    Both moments are covered: before the screen has noticed the other run (the baseline
    itself meets the lock) and after (the key says the platform is busy)."""
    library = tmp_path / "library"
    generate_library(library, 3, cases=False, posted_share=1.0)
    with sandbox_world(library) as world:
        configure(world, tmp_path / "home")
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        monkeypatch.setattr("tui.screens.main.LOCK_CHECK_SECONDS", 3600.0)  # not yet noticed
        app = make_app()
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot)
            flickr = view(app)
            assert plan_of(flickr).baseline_missing
            holder = hold_lock_in_child(paths.state_dir())
            try:
                calls = len(world.flickr.log)
                await pilot.press("B")
                await settle(pilot)
                said = log_text(flickr)
                assert "Baseline not recorded: another run is in progress" in said
                assert str(holder.pid) in said  # names the other run (the log wraps)
                assert plan_of(flickr).baseline_missing
                assert "flickr" not in screen.busy  # not left busy for good

                screen.check_run_lock()  # the screen's own look at the lock
                await until(pilot, lambda: bool(screen.locked_by))
                await pilot.press("B")
                await settle(pilot)
                assert plan_of(flickr).baseline_missing
                assert "flickr" not in screen.busy
            finally:
                assert holder.stdin is not None
                holder.stdin.close()
                holder.wait(timeout=30)
            journal = Journal()
            try:
                assert journal.store.baseline_time("flickr") is None
                assert journal.store.published("flickr") == {}
            finally:
                journal.close()

            screen.check_run_lock()
            await until(pilot, lambda: not screen.locked_by)
            await pilot.press("B")
            await settle(pilot)
            assert "Baseline recorded for 3 posted photos" in log_text(flickr)
            assert not plan_of(flickr).baseline_missing
            assert len(world.flickr.log) == calls  # no platform call at any point


async def test_the_diff_is_readable_at_80x24(world: SandboxWorld, changed: tuple[int, str]) -> None:
    """At 80x24 the changed filter and the detail pane (`i`) show each changed field with
    what was published and what will be, on screen (not only in the widget tree)."""
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("right_square_bracket", "8", "i")
        await pilot.pause()
        shown = screen_text(app)
        assert "8 Changed 1" in shown
        assert "What changed (was / will be)" in shown
        assert "was:" in shown
        assert "will be:" in shown
        # On screen, not scrolled away: the pane starts on screen and the diff's first
        # "was" comes within the 24 rows (its lines wrapped at the pane's width); a long
        # caption's "will be" may need the pane scrolled.
        [pane] = [
            s
            for s in app.screen.query(Static)
            if "will be:" in static_text(s) and s.region.width > 0
        ]
        assert pane.region.width >= 30  # readable, not squeezed
        diff = static_text(pane).split("What changed (was / will be)")[1]
        assert "File" in diff  # the fixture changed the file...
        assert "Caption" in diff  # ...and the title, which is in the caption
        before = static_text(pane).split("was:")[0].splitlines()
        rows = sum(max(1, -(-len(line) // pane.region.width)) for line in before)
        assert pane.region.y + rows < 24


async def test_a_repost_checks_the_file_again_before_it_deletes_the_post(
    world: SandboxWorld, changed: tuple[int, str], tmp_path: Path
) -> None:
    """The plan saw a small new file; by the time the repost is confirmed the file on
    disk is too large to upload. The post is not deleted: the file's error is named."""
    file_id, status_id = changed
    too_large = without_rate_limits(pixelfed={"max_file_mb": 0.01})  # 10 KB
    world.configure_home(tmp_path / "home", too_large)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await pilot.press("right_square_bracket", "8")
        pixelfed = view(app, "pixelfed")
        assert [i.file_id for i in pixelfed.visible_items()] == [file_id]
        path = Path(world.imatch.db.files[file_id].file_name)
        Image.effect_noise((400, 400), 90).convert("RGB").save(path, "JPEG", quality=95)
        await pilot.press("space", "s")
        assert isinstance(app.screen, ConfirmRepostScreen)
        await pilot.press("y")
        await settle(pilot)
        assert status_id in remote_posts(world, "pixelfed")
        assert records(world, "pixelfed")[file_id][0]["status_id"] == status_id
        assert "file too large" in log_text(pixelfed)
