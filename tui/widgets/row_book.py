"""The photo table's rows as one list of plan items: no cells, keys or row objects per row.

Textual's `DataTable` keeps, for every row, a `dict` of its cells, a `Row`, a `RowKey`
and two index entries (about 900 bytes a row: 43 MB at 50,000 photos). `RowBook` keeps
the items shown, in order, and makes a row's key, `Row` and cells when the table asks
for them, which it does for the rows it draws. The stand-ins below answer the questions
`DataTable` asks of its `_data`, `rows`, `_row_locations` and `_y_offsets` (every row is
one line high), so the table's drawing, cursor and scrolling stay Textual's own.

A cell changed with `update_cell` (a run's state mark, a selection mark) is kept as an
override for that row until the next fill, exactly as `DataTable` would keep it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from textual.widgets.data_table import ColumnKey, Row, RowKey, StringKey

Item = TypeVar("Item")
Cell = TypeVar("Cell")


class RowBook(Generic[Item, Cell]):
    """The rows shown: `items` in order, keyed by `str(key_of(item))`; `cells_of(item)`
    makes a row's cells in column order when it is drawn."""

    def __init__(self, key_of: Callable[[Item], int]) -> None:
        self.key_of = key_of
        self.items: Sequence[Item] = ()
        self.cells_of: Callable[[Item], Sequence[Cell]] = lambda item: ()
        self.column_keys: list[ColumnKey] = []
        self.changed: dict[int, dict[ColumnKey, Cell]] = {}
        """Cells set with `update_cell` since the last fill, by item key."""
        self._index: dict[int, int] | None = None

    def replace(
        self,
        items: Sequence[Item],
        cells_of: Callable[[Item], Sequence[Cell]],
        column_keys: list[ColumnKey],
    ) -> None:
        self.items = items
        self.cells_of = cells_of
        self.column_keys = column_keys
        self.changed = {}
        self._index = None

    def clear(self) -> None:
        self.replace((), lambda item: (), [])

    def __len__(self) -> int:
        return len(self.items)

    def key_at(self, index: int) -> RowKey | None:
        if 0 <= index < len(self.items):
            return RowKey(str(self.key_of(self.items[index])))
        return None

    def index_of(self, key: object) -> int | None:
        """The row index of a `RowKey` or key text; None when no row has that key."""
        number = _number_of(key)
        if number is None or not self.items:
            return None
        if self._index is None:
            # Made on the first lookup by key, not at every fill: most fills need none.
            self._index = {self.key_of(item): n for n, item in enumerate(self.items)}
        return self._index.get(number)

    def cells_at(self, index: int) -> dict[ColumnKey, Cell]:
        item = self.items[index]
        cells = dict(zip(self.column_keys, self.cells_of(item), strict=False))
        changed = self.changed.get(self.key_of(item))
        if changed:
            cells.update(changed)
        return cells

    def set_cell(self, index: int, column: ColumnKey, value: Cell) -> None:
        self.changed.setdefault(self.key_of(self.items[index]), {})[column] = value


def _number_of(key: object) -> int | None:
    text = key.value if isinstance(key, StringKey) else key
    if not isinstance(text, str) or not text.isdigit() or not text.isascii():
        return None
    number = int(text)
    return number if str(number) == text else None


class RowLocations:
    """Stands in for `DataTable._row_locations` (row key <-> index)."""

    def __init__(self, book: RowBook[Any, Any]) -> None:
        self.book = book

    def get(self, key: object) -> int | None:
        return self.book.index_of(key)

    def get_key(self, index: int) -> RowKey | None:
        return self.book.key_at(index)

    def contains_value(self, index: int) -> bool:
        return 0 <= index < len(self.book)

    def __contains__(self, key: object) -> bool:
        return self.book.index_of(key) is not None

    def __iter__(self) -> Iterator[RowKey]:
        key_of = self.book.key_of
        return (RowKey(str(key_of(item))) for item in self.book.items)

    def __len__(self) -> int:
        return len(self.book)


class RowsByKey(RowLocations):
    """Stands in for `DataTable.rows` (row key -> `Row`, in display order)."""

    def __getitem__(self, key: object) -> Row:
        row = self.get_row(key)
        if row is None:
            raise KeyError(key)
        return row

    def get_row(self, key: object) -> Row | None:
        index = self.book.index_of(key)
        return None if index is None else Row(self.book.key_at(index), 1)  # type: ignore[arg-type]

    def get(self, key: object, default: Any = None) -> Any:
        row = self.get_row(key)
        return default if row is None else row

    def keys(self) -> Iterator[RowKey]:
        return iter(self)

    def values(self) -> Iterator[Row]:
        return (Row(key, 1) for key in self)

    def items(self) -> Iterator[tuple[RowKey, Row]]:
        return ((key, Row(key, 1)) for key in self)

    def clear(self) -> None:
        self.book.clear()


class CellsByKey(RowLocations):
    """Stands in for `DataTable._data` (row key -> the row's cells by column key)."""

    def __getitem__(self, key: object) -> dict[ColumnKey, Any]:
        index = self.book.index_of(key)
        if index is None:
            raise KeyError(key)
        return self.book.cells_at(index)

    def get(self, key: object, default: Any = None) -> Any:
        index = self.book.index_of(key)
        return default if index is None else self.book.cells_at(index)

    def items(self) -> Iterator[tuple[RowKey, dict[ColumnKey, Any]]]:
        book = self.book
        return ((book.key_at(n), book.cells_at(n)) for n in range(len(book)))  # type: ignore[misc]

    def clear(self) -> None:
        self.book.clear()


class LineOffsets:
    """Stands in for `DataTable._y_offsets`: line y is row y, offset 0 (one-line rows)."""

    def __init__(self, book: RowBook[Any, Any]) -> None:
        self.book = book

    def __len__(self) -> int:
        return len(self.book)

    def __getitem__(self, y: int) -> tuple[RowKey, int]:
        key = self.book.key_at(y)
        if key is None:
            raise IndexError(y)
        return key, 0

    def clear(self) -> None:
        """`DataTable.clear` empties the cached offsets; there are none here."""


class OrderedRows:
    """Stands in for `DataTable.ordered_rows`: `Row`s made as they are walked, so a page
    down or a region lookup does not make one per row of the table."""

    def __init__(self, book: RowBook[Any, Any]) -> None:
        self.book = book

    def __len__(self) -> int:
        return len(self.book)

    def __getitem__(self, at: int | slice) -> Any:
        if isinstance(at, slice):
            return (self._row(n) for n in range(*at.indices(len(self.book))))
        if at < 0:
            at += len(self.book)
        if not 0 <= at < len(self.book):
            raise IndexError(at)
        return self._row(at)

    def __iter__(self) -> Iterator[Row]:
        return (self._row(n) for n in range(len(self.book)))

    def _row(self, index: int) -> Row:
        return Row(self.book.key_at(index), 1)  # type: ignore[arg-type]
