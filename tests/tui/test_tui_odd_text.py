"""Photo titles, file names and folders with square brackets are shown as written: Rich
markup in them is neither applied nor able to break the screen (`[/]` used to raise)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Static
from textual.widgets._data_table import default_cell_formatter

from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from tests.e2e.test_change_detection import configure, edit_metadata
from tests.tui.helpers import SIZE, make_app, ready, static_text, view
from tui.screens.confirm import ConfirmDeleteScreen

ODD_TITLE = "Dusk [HDR] a [/] b [bold]c[/bold] [red]d"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxWorld]:
    library = tmp_path / "library"
    generate_library(library, 3, cases=False)
    with sandbox_world(library) as world:
        configure(world, tmp_path / "home")
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        yield world


def odd_photo(world: SandboxWorld) -> int:
    """The first flickr photo, titled with markup, moved to a folder `[2024] [b]x [red]y`."""
    file_id = min(world.imatch.db.categories["Socials|flickr"].direct)
    edit_metadata(world, file_id, {"tag": "title", "op": "set", "value": ODD_TITLE})
    record = world.imatch.db.files[file_id]
    old = Path(record.file_name)
    folder = old.parent / "[2024] [b]x [red]y"
    folder.mkdir()
    record.file_name = str(shutil.move(old, folder / old.name))
    return file_id


@pytest.fixture
def odd(world: SandboxWorld) -> int:
    return odd_photo(world)


async def test_markup_in_titles_and_paths_is_shown_as_written(odd: int) -> None:
    file_id = odd
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        flickr = view(app, "flickr")
        table = flickr.table
        row = table.get_row(str(file_id))
        shown = [default_cell_formatter(cell).plain for cell in row]  # type: ignore[union-attr]
        assert any(cell.startswith("Dusk [HDR] a [/]") for cell in shown), shown

        table.move_cursor(row=table.get_row_index(str(file_id)))
        await pilot.press("enter")
        await pilot.pause()
        pane = " ".join(static_text(s) for s in flickr.detail.query(Static))
        assert ODD_TITLE in pane
        assert "[2024] [b]x [red]y" in pane

        item = next(i for i in flickr.items if i.file_id == file_id)
        app.push_screen(ConfirmDeleteScreen("flickr", [item]))
        await pilot.pause()
        listing = " ".join(static_text(s) for s in app.screen.query(Static))
        assert ODD_TITLE in listing

        app.notify(ODD_TITLE, title="[/] odd")
        await pilot.pause()
        assert app.return_code is None  # nothing raised while drawing
