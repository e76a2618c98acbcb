"""The action filter above the table: every bucket with its count, the active one marked."""

from __future__ import annotations

from textual.content import Content
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
)
FILTER_ACTIONS: dict[str, Action | None] = {name: action for name, _, action in FILTERS}


class FilterBar(Static, can_focus=False):
    """`1 All 30  2 Add 10 ...`: the number is the key that picks the filter."""

    DEFAULT_CSS = """
    FilterBar { height: 1; padding: 0 1; }
    """

    active: reactive[str] = reactive("all")

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.counts: dict[str, int] = {}
        self.query_text = ""
        self.selected = 0

    def set_counts(self, counts: dict[str, int]) -> None:
        total = sum(counts.values())
        self.counts = {"all": total, **counts, "errors": counts.get("error", 0)}
        self.refresh_label()

    def watch_active(self) -> None:
        self.refresh_label()

    def refresh_label(self) -> None:
        parts: list[str | tuple[str, str]] = []
        for number, (name, label, _) in enumerate(FILTERS, start=1):
            chosen = name == self.active
            parts.append((f"{number}", "reverse bold" if chosen else "bold $accent"))
            parts.append(
                (f" {label} {self.counts.get(name, 0)} ", "reverse bold" if chosen else "")
            )
            parts.append(" ")
        if self.selected:
            parts.append((f" ● {self.selected} selected ", "bold cyan"))
        if self.query_text:
            parts.append((f" matching “{self.query_text}”", "italic"))
        self.update(Content.assemble(*parts))
