"""The delete and repost confirmations: each lists the photos it applies to; No is the
default."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from sync.plan import PlanItem

LISTED = 200
"""More than this are summarised: the modal must open instantly at any size."""


class _ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True only when the user says Yes; No has the focus."""

    # Below 32 rows (80x24 is a first-class size) the listing gives up rows so that Yes
    # and No always show (app.tcss, "-short").
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # noqa: RUF012

    def __init__(self, platform: str, items: list[PlanItem]) -> None:
        super().__init__()
        self.platform = platform
        self.items = items

    def _listing(self) -> Text:
        text = Text()
        for item in self.items[:LISTED]:
            text.append(f"• {item.photo.name}", style="bold")
            text.append(f"  {item.photo.title or '(no title)'}")
            note = self._note(item)
            if note:
                text.append(f"  ({note})", style="italic dim")
            text.append("\n")
        if len(self.items) > LISTED:
            text.append(f"… and {len(self.items) - LISTED} more", style="italic")
        text.rstrip()
        return text

    def _note(self, item: PlanItem) -> str:
        """What the listing adds after a photo's title (nothing by default)."""
        return ""

    def on_mount(self) -> None:
        self.query_one("#confirm-no-button", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm-yes-button")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ConfirmDeleteScreen(_ConfirmScreen):
    """Dismisses with True only when the user chooses to delete."""

    BINDING_GROUP_TITLE = "Delete confirmation"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "y", "answer(True)", "Yes, delete", tooltip="Delete these posts.", id="confirm-yes"
        ),
        Binding(
            "n,escape",
            "answer(False)",
            "No",
            tooltip="Keep the posts; nothing is deleted.",
            id="confirm-no",
        ),
    ]

    def compose(self) -> ComposeResult:
        count = len(self.items)
        posted = [i for i in self.items if i.photo.on_platform]
        with Vertical(id="confirm-dialog"):
            yield Label(
                f"Delete {count} photo{'s' if count != 1 else ''} from {self.platform}?",
                id="confirm-title",
            )
            yield Static(
                f"{len(posted)} post{'s' if len(posted) != 1 else ''} will be removed from "
                f"{self.platform} for good; their IMatch records and the _delete flags are "
                "cleared, and the photos leave the Socials category so they are not posted "
                "again.",
                id="confirm-explain",
            )
            with VerticalScroll(id="confirm-list"):
                yield Static(self._listing())
            with Horizontal(id="confirm-buttons"):
                yield Button("No, keep them (n)", id="confirm-no-button", variant="primary")
                yield Button("Yes, delete (y)", id="confirm-yes-button", variant="error")

    def _note(self, item: PlanItem) -> str:
        return "" if item.photo.on_platform else "never posted: only the flags are cleared"


class ConfirmRepostScreen(_ConfirmScreen):
    """Changed files on a platform that cannot replace a published image: repost them
    (delete, then add) only when the user says so; No (the default) updates their text."""

    BINDING_GROUP_TITLE = "Repost confirmation"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "y",
            "answer(True)",
            "Yes, repost",
            tooltip="Delete these posts and post the photos again.",
            id="repost-yes",
        ),
        Binding(
            "n,escape",
            "answer(False)",
            "No",
            tooltip="Keep the posts and their images; only their text is updated.",
            id="repost-no",
        ),
    ]

    def compose(self) -> ComposeResult:
        count = len(self.items)
        photos = f"{count} photo{'s' if count != 1 else ''}"
        with Vertical(id="confirm-dialog"):
            yield Label(f"Repost {photos} on {self.platform}?", id="confirm-title")
            one = count == 1
            yield Static(
                f"{'Its file' if one else 'Their files'} changed, and {self.platform} cannot "
                "replace a published image. Reposting deletes "
                f"{'the old post' if one else 'each old post'}, with its likes and comments, "
                f"and posts the photo again as a new post. No keeps the old "
                f"{'post and image' if one else 'posts and images'} (the text is still "
                "updated).",
                id="confirm-explain",
            )
            with VerticalScroll(id="confirm-list"):
                yield Static(self._listing())
            with Horizontal(id="confirm-buttons"):
                yield Button("No, keep them (n)", id="confirm-no-button", variant="primary")
                yield Button("Yes, repost (y)", id="confirm-yes-button", variant="error")
