"""The photo table keeps the items it shows, not cells, keys and row objects per row
(issue 17: at 50,000 photos Textual's per-row `dict` of cells and `Row` were 43 MB): a
row's cells are made from its item when it is drawn, and every table behaviour the TUI
uses (keys, cursor, cells set in place, refreshed items) works as on a `DataTable`."""

from __future__ import annotations

import gc
import tracemalloc

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from sync.plan_snapshot import PlanRow
from sync.rules import Action
from tui.widgets.photo_table import PhotoTable


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield PhotoTable(id="photos")


def rows(count: int, action: Action | None = Action.ADD, start: int = 1) -> list[PlanRow]:
    return [
        PlanRow(n, action, f"DSCF{n:05d}.jpg", f"Harbour {n}", (), 2_000_000)
        for n in range(start, start + count)
    ]


async def test_filling_many_rows_allocates_almost_nothing_per_row() -> None:
    items = rows(20_000)
    app = TableApp()
    async with app.run_test(size=(120, 30)) as pilot:
        table = app.query_one(PhotoTable)
        await pilot.pause()
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            table.fill(items, set(), {})
            gc.collect()
            held = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert table.row_count == 20_000
        # A DataTable row (a dict of cells, a Row, a RowKey, two index entries) is about
        # 900 bytes; the table may keep a few bytes per row, not a row's worth of objects.
        assert held / len(items) < 60, f"{held / len(items):.0f} bytes a row"
        await pilot.press("end")
        assert table.current_file_id() == 20_000
        assert "Harbour 20000" in str(table.get_row("20000"))


async def test_keys_cursor_and_cells_work_as_on_a_data_table() -> None:
    items = rows(50)
    app = TableApp()
    async with app.run_test(size=(120, 20)) as pilot:
        table = app.query_one(PhotoTable)
        table.fill(items, {3}, {4: "done"})
        await pilot.pause()
        assert [key.value for key in table.rows] == [str(n) for n in range(1, 51)]
        assert "3" in table.rows
        assert "51" not in table.rows
        assert "03" not in table.rows
        assert table.get_row_index("7") == 6
        assert str(table.get_row("3")[0]).startswith("●")
        assert str(table.get_row("4")[0]).endswith("✓")
        assert table.get_cell("5", "name") == "DSCF00005.jpg"
        # A cell set in place stays until the next fill; other rows are not touched.
        table.set_cell(5, "action", Text("  add ▶"))
        assert str(table.get_row("5")[0]) == "  add ▶"
        assert str(table.get_row("6")[0]) == "  add"
        table.set_cell(999, "action", Text("nothing"))  # not shown: ignored
        # The cursor moves over rows and says which photo it is on.
        await pilot.press("down", "down")
        assert table.current_file_id() == 3
        await pilot.press("pagedown")
        assert (table.current_file_id() or 0) > 3
        await pilot.press("end")
        assert table.current_file_id() == 50
        assert table.cursor_row == 49
        # The last row is drawn on screen when the cursor is on it.
        assert "DSCF00050.jpg" in "".join(
            strip.text for strip in (table.render_line(y) for y in range(table.size.height))
        )
        # A fill keeps the cursor on the same photo when it is still shown.
        table.fill(items[::-1], set(), {}, keep=50)
        assert table.current_file_id() == 50
        assert table.cursor_row == 0
        assert str(table.get_row("5")[0]) == "  add"  # the fill dropped the cell set before


async def test_a_refreshed_plan_replaces_the_rows_it_was_shown_over() -> None:
    read = rows(30, action=None)
    app = TableApp()
    async with app.run_test(size=(120, 20)) as pilot:
        table = app.query_one(PhotoTable)
        table.fill(read, set(), {})
        await pilot.press("down", "down")
        planned = rows(30, action=Action.UPDATE)
        assert table.update_in_place(planned, {2}, {})
        assert str(table.get_row("1")[0]).strip() == "update"
        assert str(table.get_row("2")[0]).startswith("●")
        assert table.current_file_id() == 3  # the cursor stayed
        # Other photos, or the same in another order: not in place.
        assert not table.update_in_place(rows(30, start=2), set(), {})
        assert not table.update_in_place(planned[::-1], set(), {})
        # The rows read first are not kept once the plan's are shown.
        assert table.shown_items() is planned
        assert not any(referrer is table for referrer in gc.get_referrers(read))


async def test_rows_cannot_be_added_one_by_one() -> None:
    app = TableApp()
    async with app.run_test(size=(80, 10)):
        table = app.query_one(PhotoTable)
        assert isinstance(table, DataTable)
        with pytest.raises(TypeError, match=r"fill\(\)"):
            table.add_row("a", "b")
