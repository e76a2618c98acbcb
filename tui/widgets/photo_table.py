"""The photo table: one row per photo of the platform's plan, rebuilt in one batch.

Rows are keyed by IMatch file id, so a run updates a row's state cell in place and the
selection survives filtering. Cells are plain strings or small `Text`s: at 10,000 rows
the table must fill in one `add_rows` call and scroll without delay.

Columns fit the table's width (`column_layout`): Action, Name, Errors, Title, and Size
when there is room, so the errors are never pushed off-screen at 80 columns.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import ClassVar

from rich.markup import escape
from rich.text import Text
from textual import events
from textual._two_way_dict import TwoWayDict
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import DuplicateKey, Row, RowKey

from sync.plan import PlanItem
from sync.plan_snapshot import PlanRow
from sync.rules import Action

TableRow = PlanItem | PlanRow
"""A row comes from the plan, or from the last plan's snapshot while the plan is made."""

ACTION_STYLES = {
    Action.ADD: "green",
    Action.UPDATE: "cyan",
    Action.METADATA: "blue",
    Action.DELETE: "bold red",
    Action.ERROR: "magenta",
    Action.CHANGED: "yellow",
    Action.UNCHANGED: "dim",
}
ACTION_WIDTH = 11
SIZE_WIDTH = 8
CELL_PADDING = 2
"""DataTable pads every cell with one space on each side."""
SCROLLBAR = 2
Columns = tuple[tuple[str, str, int], ...]
"""Key, heading and width: fixed widths spare measuring every cell of 10,000 rows."""


def column_layout(available: int) -> Columns:
    """The columns for a table `available` cells wide (its scrollbar excluded): Action
    and Name first, then Errors before Title so errors stay visible when space is short,
    Title when it gets 10 cells or more, and Size only when the text columns keep room."""
    columns = [("action", "  Action", ACTION_WIDTH)]
    rest = available - ACTION_WIDTH - CELL_PADDING
    if rest < 3 * CELL_PADDING + 12 + 14 + 10:  # no room for a title (a narrow split view)
        name = 12
        columns += [("name", "Name", name), ("errors", "Errors", max(8, rest - name - 4))]
        return tuple(columns)
    flexible = rest - 3 * CELL_PADDING
    show_size = flexible >= 80
    if show_size:
        flexible -= SIZE_WIDTH + CELL_PADDING
    name = min(max(12, flexible // 5), 28)
    flexible -= name
    errors = max(14, flexible * 55 // 100)
    title = max(10, flexible - errors)
    columns += [("name", "Name", name), ("errors", "Errors", errors), ("title", "Title", title)]
    if show_size:
        columns.append(("size", "Size", SIZE_WIDTH))
    return tuple(columns)


DEFAULT_COLUMNS = column_layout(78)
SELECTED_MARK = "●"
STATE_MARKS = {
    "queued": ("…", "dim"),
    "skipped": ("–", "dim"),
    "running": ("▶", "bold yellow"),
    "failed": ("✗", "bold red"),
    "done": ("✓", "bold green"),
}


def short_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(size, 0) // 1024} KB"


def clip(text: str, width: int) -> str:
    """`text` on one line in `width` cells; square brackets escaped, since the table reads
    plain strings as markup (a title with `[/]` would not draw at all). A text that fits
    as it is comes back as the same string, not a copy for each table row."""
    one_line = " ".join(text.split())
    text = text if one_line == text else one_line
    text = text if len(text) <= width else text[: width - 1] + "…"
    return escape(text) if "[" in text else text


def state_kind(state: str) -> str:
    """`queued`, `running`, `skipped`, `failed` or `done` (any finished outcome)."""
    if state.startswith("failed"):
        return "failed"
    return state if state in STATE_MARKS else "done"


def action_cell(action: Action | None, state: str, selected: bool) -> Text:
    """`● add ✓`: the selection mark, the action (`…` while it is planned), and how this
    run went for the row. One `Text` for every row that shows the same (a table cell is
    drawn, never changed in place): a `Text` per row was 20 MB of a 50,000-row table."""
    return _action_cell(action, state_kind(state) if state else "", selected)


@functools.cache
def _action_cell(action: Action | None, state: str, selected: bool) -> Text:
    text = Text(SELECTED_MARK + " " if selected else "  ", style="bold cyan")
    if action is None:
        text.append("…", style="dim")
    else:
        text.append(action.value, style=ACTION_STYLES[action])
    if state:
        mark, style = STATE_MARKS[state_kind(state)]
        text.append(" " + mark, style=style)
    return text


def row_cells(
    item: TableRow, selected: bool, state: str, columns: Columns = DEFAULT_COLUMNS
) -> tuple[str | Text, ...]:
    cells: list[str | Text] = []
    for key, _, width in columns:
        if key == "action":
            cells.append(action_cell(item.action, state, selected))
        elif key == "name":
            cells.append(clip(item.name, width))
        elif key == "errors":
            cells.append(errors_cell(item.errors, width))
        elif key == "title":
            cells.append(clip(item.title or "(no title)", width))
        else:
            cells.append(f"{short_size(item.size):>{SIZE_WIDTH}}")
    return tuple(cells)


def errors_cell(errors: tuple[str, ...], width: int) -> str | Text:
    # Plain strings where possible: a Text per cell is most of the cost of filling 10,000 rows.
    return Text(clip(", ".join(errors), width), style="magenta") if errors else ""


class PhotoTable(DataTable[str | Text]):
    """Rows keyed by str(file id); row cursor; the first column marks selected photos."""

    DEFAULT_CSS = """
    PhotoTable { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        # DataTable scrolls sideways on home/end; a photo list goes to its first/last row.
        Binding("home", "scroll_top", "First photo", show=False),
        Binding("end", "scroll_bottom", "Last photo", show=False),
    ]

    class ColumnsNoLongerFit(Message):
        """The table's width changed enough for another column layout: fill it again."""

        def __init__(self, first_layout: bool) -> None:
            super().__init__()
            self.first_layout = first_layout
            """The table got its first size (it was filled before it had one): no
            terminal is being resized, so there is nothing to wait for."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.columns_shown: Columns = ()
        self._had_a_size = False

    def on_mount(self) -> None:
        self._set_columns(DEFAULT_COLUMNS)

    def _set_columns(self, columns: Columns) -> None:
        self.clear(columns=True)
        for key, label, width in columns:
            self.add_column(label, key=key, width=width)
        self.columns_shown = columns

    def fitting_layout(self) -> Columns:
        """The column layout for the table's current width (the current one before layout)."""
        if not self.size.width:
            return self.columns_shown
        return column_layout(self.size.width - SCROLLBAR)

    def on_resize(self, event: events.Resize) -> None:
        first_layout = not self._had_a_size
        self._had_a_size = self._had_a_size or bool(self.size.width)
        if self.fitting_layout() != self.columns_shown:
            self.post_message(self.ColumnsNoLongerFit(first_layout))

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        # Textual measures every cell of every new row even when no column is sized by
        # its content; with fixed widths and one-line rows only the virtual size changes.
        if any(column.auto_width for column in self.columns.values()):
            super()._update_dimensions(new_rows)
            return
        width = sum(column.get_render_width(self) for column in self.columns.values())
        header = self.header_height if self.show_header else 0
        self.virtual_size = Size(
            width + self._row_label_column_width, self._total_row_height + header
        )

    def fill(
        self,
        items: Iterable[TableRow],
        selected: set[int],
        states: dict[int, str],
        keep: int | None = None,
    ) -> None:
        """Replace every row at once; keep the cursor on file `keep` when it is still shown."""
        layout = self.fitting_layout()
        if layout != self.columns_shown:
            self._set_columns(layout)
        else:
            self.clear()
        self._add_rows_at_once(
            (
                str(item.file_id),
                row_cells(item, item.file_id in selected, states.get(item.file_id, ""), layout),
            )
            for item in items
        )
        if keep is not None and str(keep) in self.rows:
            self.move_cursor(row=self.get_row_index(str(keep)), animate=False, scroll=True)

    def _add_rows_at_once(self, rows: Iterable[tuple[str, tuple[str | Text, ...]]]) -> None:
        """What `add_row` does for each row (one-line rows, no labels), done for all rows
        with one cursor update and one idle check instead of one per row: at 10,000 rows
        that is about five times faster. Relies on DataTable internals of the pinned
        Textual 8.2; the Pilot tests of the table cover it."""
        columns = [column.key for column in self.ordered_columns]
        locations = dict(self._row_locations._forward)
        for key_text, cells in rows:
            key = RowKey(key_text)
            if key in locations:
                raise DuplicateKey(f"The row key {key!r} already exists.")
            locations[key] = len(locations)
            self._data[key] = dict(zip(columns, cells, strict=False))
            self.rows[key] = Row(key, 1)
            self._new_rows.add(key)
        self._row_locations = TwoWayDict(locations)
        self._require_update_dimensions = True
        self._update_count += 1
        cell_now_available = self.row_count > 0 and len(self.columns) > 0
        self.cursor_coordinate = self.cursor_coordinate
        if cell_now_available and self.show_cursor and self.cursor_type != "none":
            self._highlight_cursor()
        self.check_idle()

    def update_in_place(
        self, items: list[TableRow], selected: set[int], states: dict[int, str]
    ) -> bool:
        """Change only the cells that differ when the table already shows these photos in
        this order (a refreshed plan over its snapshot); False when it does not."""
        if [key.value for key in self.rows] != [str(item.file_id) for item in items]:
            return False
        layout = self.columns_shown
        for item in items:
            key = str(item.file_id)
            fresh = row_cells(item, item.file_id in selected, states.get(item.file_id, ""), layout)
            for (column, _, _), old, new in zip(layout, self.get_row(key), fresh, strict=False):
                if old != new:
                    self.update_cell(key, column, new)
        return True

    def current_file_id(self) -> int | None:
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return int(row_key.value) if row_key.value is not None else None

    def set_cell(self, file_id: int, column: str, value: str | Text) -> None:
        key = str(file_id)
        if key in self.rows:
            self.update_cell(key, column, value)
