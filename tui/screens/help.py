"""The help screen (`?` or `f1`): every key, what it does, and how actions choose photos."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

INTRO = (
    "Each tab is one platform. The table lists the photos of IMatch's Socials|<platform> "
    "category with what a sync would do to each. An action key applies to the photos "
    "selected with space when there are any, otherwise to the whole bucket "
    "(all photos to add, to update, ...). Nothing is sent before you press a key, and "
    "deleting always asks first."
)


def key_display(binding: Binding) -> str:
    names = {
        "question_mark": "?",
        "slash": "/",
        "space": "space",
        "escape": "esc",
        "ctrl+a": "ctrl+a",
        "ctrl+p": "ctrl+p",
        "right_square_bracket": "]",
        "left_square_bracket": "[",
    }
    if binding.key_display:
        return binding.key_display
    return " ".join(names.get(key.strip(), key.strip()) for key in binding.key.split(","))


def bindings_table(groups: Sequence[tuple[str, Sequence[Binding]]]) -> Group:
    parts: list[RenderableType] = []
    for title, bindings in groups:
        table = Table.grid(padding=(0, 2), expand=True)
        table.add_column("key", style="bold", no_wrap=True, width=8)
        table.add_column("name", no_wrap=True, width=18)
        table.add_column("what it does", ratio=1)
        for binding in bindings:
            table.add_row(key_display(binding), binding.description, binding.tooltip)
        parts += [Text(title, style="bold underline"), table, Text()]
    return Group(*parts)


class HelpScreen(ModalScreen[None]):
    """Lists the bindings it is given, grouped; any of escape, q, ? or f1 closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape,q,question_mark,f1",
            "app.pop_screen",
            "Close help",
            tooltip="Back to the photos.",
            id="help-close",
        )
    ]

    def __init__(self, groups: Sequence[tuple[str, Sequence[Binding]]]) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog"):
            yield Label("imatch-socials — keys", id="help-title")
            yield Static(INTRO, id="help-intro")
            with VerticalScroll(id="help-keys"):
                yield Static(bindings_table(self.groups))
            yield Label(
                "escape closes this help · ctrl+p opens the command palette", id="help-foot"
            )
