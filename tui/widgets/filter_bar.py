"""The action filter above the table: every bucket with its count, the active one marked.

Its items are packed into as many lines as the width needs (two at 80 columns), never
cut: each item (`2 Add 10`) stays whole on one line.
"""

from __future__ import annotations

from textual import events
from textual.content import Content, Span
from textual.reactive import reactive
from textual.widgets import Static

from sync.rules import Action

FILTERS: tuple[tuple[str, str, Action | None], ...] = (
    ("all", "All", None),
    ("add", "Add", Action.ADD),
    ("update", "Update", Action.UPDATE),
    ("metadata", "Metadata", Action.METADATA),
    ("delete", "Delete", Action.DELETE),
    ("errors", "Errors", Action.ERROR),
    ("unchanged", "Unchanged", Action.UNCHANGED),
    ("changed", "Changed", Action.CHANGED),
)
FILTER_ACTIONS: dict[str, Action | None] = {name: action for name, _, action in FILTERS}


class FilterBar(Static, can_focus=False):
    """`1 All 30  2 Add 10 ...`: the number is the key that picks the filter."""

    DEFAULT_CSS = """
    FilterBar { height: auto; padding: 0 1; }
    """

    active: reactive[str] = reactive("all")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._label: tuple[str, tuple[Span, ...]] | None = None
        """The label last given to the widget: its text and styles."""
        self.counts: dict[str, int] = {}
        self.query_text = ""
        self.selected = 0

    def set_counts(self, counts: dict[str, int]) -> None:
        total = sum(counts.values())
        self.counts = {"all": total, **counts, "errors": counts.get("error", 0)}
        self.refresh_label()

    def watch_active(self) -> None:
        self.refresh_label()

    def on_resize(self, event: events.Resize) -> None:
        self.refresh_label()

    def items(self) -> list[Content]:
        """`1 All 30`, ... then the selection and the search, each one unbreakable item."""
        found: list[Content] = []
        for number, (name, label, _) in enumerate(FILTERS, start=1):
            chosen = name == self.active
            found.append(
                Content.assemble(
                    (f"{number}", "reverse bold" if chosen else "bold $accent"),
                    (f" {label} {self.counts.get(name, 0):,} ", "reverse bold" if chosen else ""),
                )
            )
        if self.selected:
            found.append(Content.styled(f" ● {self.selected:,} selected ", "bold cyan"))
        if self.query_text:
            found.append(Content.styled(f" matching “{self.query_text}”", "italic"))
        return found

    def refresh_label(self) -> None:
        width = self.content_region.width or 10_000
        lines: list[list[Content]] = [[]]
        used = 0
        for item in self.items():
            length = item.cell_length
            if lines[-1] and used + 1 + length > width:
                lines.append([])
                used = 0
            used += length + (1 if lines[-1] else 0)
            lines[-1].append(item)
        label = Content("\n").join(Content(" ").join(line) for line in lines)
        # Each key asks for the label (a filter, a selection): an update lays the screen
        # out again, so only a label that changed is given to the widget. (Content's ==
        # compares the text alone; the chosen filter differs only in its style.)
        shown = (label.plain, tuple(label.spans))
        if shown != self._label:
            self._label = shown
            self.update(label)
