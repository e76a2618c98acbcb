"""What a 50,000-row photo table holds per row (issue 17): the action cell is one `Text`
for every row that shows the same, and a name or title that fits is the photo's own
string, not a copy per row."""

from __future__ import annotations

from sync.plan_snapshot import PlanRow
from sync.rules import Action
from tui.widgets.photo_table import DEFAULT_COLUMNS, action_cell, clip, row_cells


def _row(file_id: int, action: Action, title: str) -> PlanRow:
    return PlanRow(file_id, action, f"DSCF{file_id:04d}.jpg", title, (), 1000)


def test_rows_that_show_the_same_action_share_one_cell() -> None:
    rows = [_row(n, Action.ADD, f"Title {n}") for n in range(1, 6)]
    cells = [row_cells(row, False, "") for row in rows]
    first = cells[0][0]
    assert all(cell[0] is first for cell in cells)
    assert first.plain == "  add"
    # Another action, state or selection is another cell, drawn as before.
    assert action_cell(Action.ADD, "", True).plain == "● add"
    assert action_cell(Action.ADD, "done", False).plain == "  add ✓"
    assert action_cell(Action.ADD, "failed: timeout", False).plain == "  add ✗"
    assert action_cell(Action.ADD, "failed: refused", False) is action_cell(
        Action.ADD, "failed: timeout", False
    )
    assert action_cell(None, "", False).plain == "  …"
    assert action_cell(Action.DELETE, "", False) is not first


def test_a_name_or_title_that_fits_is_kept_not_copied() -> None:
    title = "".join(["Harbour", " at dawn"])  # a string made at run time, like a read one
    row = _row(7, Action.ADD, title)
    layout = DEFAULT_COLUMNS
    cells = row_cells(row, False, "", layout)
    keys = [key for key, _, _ in layout]
    assert cells[keys.index("title")] is title
    assert cells[keys.index("name")] is row.name
    # Text that does not fit, or is not on one line, is still made to fit.
    assert clip("a  b\nc", 20) == "a b c"
    assert clip("x" * 30, 10) == "x" * 9 + "…"
    assert clip("[bold]", 20) == "\\[bold]"
