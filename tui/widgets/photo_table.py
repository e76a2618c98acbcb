"""The photo table: one row per photo of the platform's plan, rebuilt in one batch.

Rows are keyed by IMatch file id, so a run updates a row's state cell in place and the
selection survives filtering. Cells are plain strings or small `Text`s: at 10,000 rows
the table keeps the list of items shown and makes a row's cells when it draws the row
(`tui/widgets/row_book.py`), so filling 50,000 rows costs one list, not 50,000 rows'
worth of cells, keys and row objects.

Columns fit the table's width (`column_layout`): Action, Name, Errors, Title, and Size
when there is room, so the errors are never pushed off-screen at 80 columns.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import ClassVar, Self

from rich.markup import escape
from rich.text import Text
from textual import events
from textual.binding import Binding, BindingType
from textual.coordinate import Coordinate
from textual.geometry import Region, Size
from textual.message import Message
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowKey

from sync.plan import PlanItem
from sync.plan_snapshot import PlanRow
from sync.rules import Action
from tui.widgets.row_book import (
    CellsByKey,
    LineOffsets,
    OrderedRows,
    RowBook,
    RowLocations,
    RowsByKey,
)

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
        # Before DataTable's own set-up, which already asks for rows.
        self._book: RowBook[TableRow, str | Text] = RowBook(lambda item: item.file_id)
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._attach_book()
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

    # --- the rows: one list of items, cells made when a row is drawn (`RowBook`) ------

    def _attach_book(self) -> None:
        self._data = CellsByKey(self._book)  # type: ignore[assignment]
        self.rows = RowsByKey(self._book)  # type: ignore[assignment]
        self._row_locations = RowLocations(self._book)  # type: ignore[assignment]

    @property
    def _y_offsets(self) -> LineOffsets:  # type: ignore[override]
        return LineOffsets(self._book)

    @property
    def ordered_rows(self) -> OrderedRows:  # type: ignore[override]
        return OrderedRows(self._book)

    def clear(self, columns: bool = False) -> Self:
        super().clear(columns)
        self._attach_book()  # DataTable.clear puts a new key index of its own in place
        return self

    def add_row(self, *cells: str | Text, **options: object) -> RowKey:
        raise TypeError("PhotoTable rows come from fill(), one plan item per row")

    def sort(self, *columns: object, **options: object) -> Self:
        raise TypeError("PhotoTable rows are shown in the plan's order")

    def _get_row_region(self, row_index: int) -> Region:
        # DataTable adds up the heights of every row above; every row here is one line.
        if not self.is_valid_row_index(row_index):
            return Region(0, 0, 0, 0)
        row_width = (
            sum(column.get_render_width(self) for column in self.columns.values())
            + self._row_label_column_width
        )
        header = self.header_height if self.show_header else 0
        return Region(0, row_index + header, max(self.size.width, row_width), 1)

    def _get_cell_region(self, coordinate: Coordinate) -> Region:
        if not self.is_valid_coordinate(coordinate):
            return Region(0, 0, 0, 0)
        row_index, column_index = coordinate
        ordered = self.ordered_columns
        x = sum(column.get_render_width(self) for column in ordered[:column_index])
        x += self._row_label_column_width
        width = ordered[column_index].get_render_width(self)
        header = self.header_height if self.show_header else 0
        return Region(x, row_index + header, width, 1)

    def fill(
        self,
        items: Iterable[TableRow],
        selected: set[int],
        states: dict[int, str],
        keep: int | None = None,
    ) -> None:
        """Replace every row at once; keep the cursor on file `keep` when it is still shown.
        The table keeps the list of items, not cells: a row's cells are made from its item
        (and the selection and run states as they are now) when the row is drawn."""
        layout = self.fitting_layout()
        if layout != self.columns_shown:
            self._set_columns(layout)
        else:
            self.clear()
        shown = items if isinstance(items, list) else list(items)
        self._show(shown, selected, states)
        if keep is not None:
            at = next((n for n, item in enumerate(shown) if item.file_id == keep), None)
            if at is not None:
                self.move_cursor(row=at, animate=False, scroll=True)

    def _show(self, items: list[TableRow], selected: set[int], states: dict[int, str]) -> None:
        chosen = frozenset(selected)
        states = dict(states)
        layout = self.columns_shown

        def cells_of(item: TableRow) -> tuple[str | Text, ...]:
            file_id = item.file_id
            return row_cells(item, file_id in chosen, states.get(file_id, ""), layout)

        self._book.replace(items, cells_of, [column.key for column in self.ordered_columns])
        # What DataTable.add_row does after each row, once for all of them.
        self._require_update_dimensions = True
        self._update_count += 1
        cell_now_available = self.row_count > 0 and len(self.columns) > 0
        self.cursor_coordinate = self.cursor_coordinate
        if cell_now_available and self.show_cursor and self.cursor_type != "none":
            self._highlight_cursor()
        self.check_idle()

    def shown_items(self) -> Sequence[TableRow]:
        """The items of the rows, in the order shown."""
        return self._book.items

    def update_in_place(
        self, items: list[TableRow], selected: set[int], states: dict[int, str]
    ) -> bool:
        """Show these items in the rows of the same photos in the same order (a refreshed
        plan over its snapshot) without filling the table again: the cursor and scroll
        stay; False when the table does not show these photos in this order."""
        shown = self._book.items
        if len(shown) != len(items) or any(
            old.file_id != new.file_id for old, new in zip(shown, items, strict=True)
        ):
            return False
        self._book.replace(items, lambda item: (), [])  # the old items go at once
        self._show(items, selected, states)
        self.refresh()
        return True

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: str | Text,
        *,
        update_width: bool = False,
    ) -> None:
        index = self._book.index_of(row_key)
        column = ColumnKey(column_key) if isinstance(column_key, str) else column_key
        if index is None or column not in self._column_locations:
            raise CellDoesNotExist(f"No cell for row {row_key!r}, column {column_key!r}.")
        self._book.set_cell(index, column, value)
        self._update_count += 1
        self.refresh()

    def current_file_id(self) -> int | None:
        items = self._book.items
        row = self.cursor_coordinate.row
        return items[row].file_id if 0 <= row < len(items) else None

    def set_cell(self, file_id: int, column: str, value: str | Text) -> None:
        key = str(file_id)
        if self._book.index_of(key) is not None:
            self.update_cell(key, column, value)
