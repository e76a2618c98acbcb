"""The photo table: one row per photo of the platform's plan, rebuilt in one batch.

Rows are keyed by IMatch file id, so a run updates a row's state cell in place and the
selection survives filtering. Cells are plain strings or small `Text`s: at 10,000 rows
the table must fill in one `add_rows` call and scroll without delay.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual._two_way_dict import TwoWayDict
from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets.data_table import DuplicateKey, Row, RowKey

from sync.plan import PlanItem
from sync.rules import Action

ACTION_STYLES = {
    Action.ADD: "green",
    Action.UPDATE: "cyan",
    Action.METADATA: "blue",
    Action.DELETE: "bold red",
    Action.ERROR: "magenta",
    Action.UNCHANGED: "dim",
}
TITLE_WIDTH = 18
ERRORS_WIDTH = 40
SIZE_WIDTH = 8
COLUMNS = (
    ("action", "  Action", 11),
    ("name", "Name", 12),
    ("title", "Title", TITLE_WIDTH),
    ("size", "Size", SIZE_WIDTH),
    ("errors", "Errors", ERRORS_WIDTH),
)
"""Key, heading and width: fixed widths spare measuring every cell of 10,000 rows."""
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
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def state_kind(state: str) -> str:
    """`queued`, `running`, `skipped`, `failed` or `done` (any finished outcome)."""
    if state.startswith("failed"):
        return "failed"
    return state if state in STATE_MARKS else "done"


def action_cell(action: Action, state: str, selected: bool) -> Text:
    """`● add ✓`: the selection mark, the action, and how this run went for the row."""
    text = Text(SELECTED_MARK + " " if selected else "  ", style="bold cyan")
    text.append(action.value, style=ACTION_STYLES[action])
    if state:
        mark, style = STATE_MARKS[state_kind(state)]
        text.append(" " + mark, style=style)
    return text


def row_cells(item: PlanItem, selected: bool, state: str) -> tuple[str | Text, ...]:
    photo = item.photo
    title = photo.title or "(no title)"
    return (
        action_cell(item.action, state, selected),
        photo.name,
        clip(title, TITLE_WIDTH),
        f"{short_size(photo.file.size):>{SIZE_WIDTH}}",
        errors_cell(item.verdict.errors),
    )


def errors_cell(errors: tuple[str, ...]) -> str | Text:
    # Plain strings where possible: a Text per cell is most of the cost of filling 10,000 rows.
    return Text(clip(", ".join(errors), ERRORS_WIDTH), style="magenta") if errors else ""


class PhotoTable(DataTable[str | Text]):
    """Rows keyed by str(file id); row cursor; the first column marks selected photos."""

    DEFAULT_CSS = """
    PhotoTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        for key, label, width in COLUMNS:
            self.add_column(label, key=key, width=width)

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
        items: Iterable[PlanItem],
        selected: set[int],
        states: dict[int, str],
        keep: int | None = None,
    ) -> None:
        """Replace every row at once; keep the cursor on file `keep` when it is still shown."""
        self.clear()
        self._add_rows_at_once(
            (
                str(item.file_id),
                row_cells(item, item.file_id in selected, states.get(item.file_id, "")),
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

    def current_file_id(self) -> int | None:
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return int(row_key.value) if row_key.value is not None else None

    def set_cell(self, file_id: int, column: str, value: str | Text) -> None:
        key = str(file_id)
        if key in self.rows:
            self.update_cell(key, column, value)
