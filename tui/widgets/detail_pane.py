"""The detail pane: exactly what will be posted for the highlighted photo, and its errors.

It shows the rendered post value field by field (the platform's rows); nothing
else is sent, so nothing else is shown as if it were.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from sync.limit_details import limit_detail
from sync.plan import TEXT_ONLY, PlanItem, default_limits, field_changes, replaces_images
from sync.platforms import registry
from sync.platforms.base import Limits
from sync.provenance import provenance
from sync.rules import CHANGED_FILE, Action
from tui.widgets.fixes import fix_for
from tui.widgets.photo_table import ACTION_STYLES

ACTION_SENTENCES = {
    Action.ADD: "will be posted",
    Action.UPDATE: "will be updated: new image and text",
    Action.METADATA: "will be updated: text only",
    Action.DELETE: "will be deleted from the platform",
    Action.ERROR: "cannot be posted until the errors below are fixed in IMatch",
    Action.CHANGED: "changed in IMatch since it was published",
    Action.UNCHANGED: "is up to date: nothing to do",
}


def human_size(size: int) -> str:
    """`2.4 MB`, `830 KB`, `512 B`."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


STACKED_BELOW = 36
"""Content width under which each field's name goes on its own line above its value, so
values (hashtags, paths) keep the whole width and wrap between words."""


class Fields:
    """Field names and values: side by side, or stacked when the pane is narrow."""

    def __init__(self, stacked: bool = False) -> None:
        self.stacked = stacked
        self.table = Table.grid(padding=(0, 1), expand=True)
        if stacked:
            self.table.add_column("row", ratio=1, overflow="fold")
        else:
            self.table.add_column("field", style="bold", no_wrap=True, width=11)
            self.table.add_column("value", ratio=1, overflow="fold")

    def add_row(self, name: str, value: str | Text) -> None:
        if isinstance(value, str):
            value = Text(value)  # as written: paths and titles may hold square brackets
        if self.stacked:
            self.table.add_row(Text(name, style="bold"))
            self.table.add_row(Padding(value, (0, 0, 0, 2)))
        else:
            self.table.add_row(Text(name), value)


def _fields(stacked: bool = False) -> Fields:
    return Fields(stacked)


def _or_none(value: str) -> Text:
    return Text(value) if value.strip() else Text("(none)", style="dim italic")


def post_fields(item: PlanItem, stacked: bool = False) -> Table:
    """The platform's own rows for the rendered post (blank values read `(none)`)."""
    table = _fields(stacked)
    rows = registry.spec(item.platform).detail_fields(item.rendered.post, item.photo)
    for label, value in rows:
        table.add_row(label, _or_none(value))
    return table.table


def provenance_table(item: PlanItem, stacked: bool = False) -> Table:
    """Which file is uploaded, where its metadata comes from, which post it matches."""
    origin = provenance(item.photo)
    table = _fields(stacked)
    table.add_row("Uploads", origin.file)
    table.add_row("Metadata", origin.metadata)
    table.add_row("Post", origin.post)
    return table.table


def _for_platform(text: str, platform: str) -> str:
    """A fix text with this platform's own category named instead of `Socials|<platform>`."""
    return text.replace("<platform>", platform) if platform else text


def describe(
    item: PlanItem, stacked: bool = False, limits: Limits | None = None, failure: str = ""
) -> RenderableType:
    """Everything the pane shows for one photo (`stacked`: for a narrow pane; `limits`:
    the platform's, for limit errors in numbers; `failure`: why the last run failed it)."""
    photo, verdict = item.photo, item.verdict
    heading = Text.assemble(
        (photo.name, "bold"),
        "  ",
        (verdict.action.value.upper(), f"bold {ACTION_STYLES[verdict.action]}"),
    )
    if verdict.action is Action.UPDATE and verdict.note.startswith(TEXT_ONLY):
        sentence = Text(f"This photo will be updated, {verdict.note}.")
        sentence.append(" To publish a new image: flag it _delete, then add it again.")
    else:
        sentence = Text(f"This photo {ACTION_SENTENCES[verdict.action]}.")
        if verdict.note:
            sentence.append(f" {verdict.note}.", style="italic")
        if asks_repost(item, limits):
            sentence.append(
                " Its file changed, and this platform cannot replace a published image: "
                "a run asks before reposting it (the old post, its likes and comments go)."
            )
    parts: list[RenderableType] = [heading, sentence, Text()]
    if verdict.action is Action.CHANGED:
        parts += changes_table(item, stacked)
    if failure:
        parts.append(Text("The last run failed", style="bold underline"))
        parts.append(Text(failure, style="bold red"))
        parts.append(Text())
    if verdict.errors:
        parts.append(Text("Errors — what to fix in IMatch", style="bold underline"))
        platform_limits = limits or _limits_of(item)
        for name in verdict.errors:
            line = Text(f"✗ {name}", style="bold red")
            numbers = limit_detail(name, item.rendered.size, platform_limits)
            if numbers:
                line.append(f": {numbers}", style="red")
            parts.append(line)
            fix = Table.grid(padding=(0, 0, 0, 2))
            fix.add_column(ratio=1)
            fix.add_row(Text(_for_platform(fix_for(name), item.platform)))
            parts.append(fix)
        parts.append(Text())
    post: Any = item.rendered.post
    title = "What will be posted" if verdict.action is not Action.DELETE else "The post"
    parts.append(Text(title, style="bold underline"))
    if item.platform:
        parts.append(post_fields(item, stacked))
    file_table = _fields(stacked)
    file_table.add_row("File", str(post.file.path))
    exists = "" if photo.file_exists else "  (not found on disk)"
    file_table.add_row("Size", f"{human_size(post.file.size)}, {post.file.format}{exists}")
    parts.append(file_table.table)
    parts.append(provenance_table(item, stacked))
    for warning in item.rendered.warnings:
        parts.append(Text(f"⚠ {warning}", style="yellow"))
    return Group(*parts)


def changes_table(item: PlanItem, stacked: bool = False) -> list[RenderableType]:
    """What changed, field by field: as it was published, and as it will be."""
    parts: list[RenderableType] = [Text("What changed (was / will be)", style="bold underline")]
    table = _fields(stacked)
    for name, was, now in field_changes(item):
        table.add_row(name.capitalize(), Text("was: ", style="dim") + _or_none(was))
        table.add_row("", Text("will be: ", style="bold") + _or_none(now))
    parts.append(table.table)
    parts.append(Text())
    return parts


def asks_repost(item: PlanItem, limits: Limits | None) -> bool:
    """A changed file on a platform that cannot replace a published image: a run asks
    before reposting it (`limits`: the platform's; None, its defaults)."""
    return (
        item.action is Action.CHANGED
        and CHANGED_FILE in item.verdict.changed
        and not replaces_images(item.platform, limits)
    )


def _limits_of(item: PlanItem) -> Limits:
    """The platform's default limits (no instance limits known)."""
    return default_limits(item.platform)


class DetailPane(VerticalScroll):
    """Scrollable and focusable (tab, or enter on the table): the arrows, page keys,
    home and end scroll it; escape goes back to the table. Updated whenever the table's
    highlighted row changes."""

    DEFAULT_CSS = """
    DetailPane { padding: 0 1; scrollbar-gutter: stable; }
    DetailPane > Static { width: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Back to the photos", show=False),
    ]

    class Left(Message):
        """Escape in the pane: the photos table takes the keys again."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.item: PlanItem | None = None
        self.empty = "No photo highlighted."
        self.stacked = False
        self.limits: Limits | None = None
        self.failure = ""

    def compose(self) -> ComposeResult:
        yield Static(Text("No photo highlighted.", style="dim"), id="detail-body")

    def action_leave(self) -> None:
        self.post_message(self.Left())

    def on_resize(self, event: events.Resize) -> None:
        stacked = self._narrow()
        if stacked != self.stacked:
            self._render_body()

    def _narrow(self) -> bool:
        width = self.scrollable_content_region.width
        return 0 < width < STACKED_BELOW

    def show(
        self,
        item: PlanItem | None,
        empty: str = "No photo highlighted.",
        *,
        limits: Limits | None = None,
        failure: str = "",
    ) -> None:
        """Show `item` (`limits`: the platform's; `failure`: why the last run failed it)."""
        shown = (self.empty, self.limits, self.failure)
        if item is self.item and (empty, limits, failure) == shown:
            return  # already shown: the table's highlight and the plan's rebuild both ask
        same_photo = (
            item is not None and self.item is not None and item.photo.id == self.item.photo.id
        )
        self.item, self.empty, self.limits, self.failure = item, empty, limits, failure
        self._render_body()
        # A refreshed plan shows the same photo again: the reader keeps their place.
        if not same_photo:
            self.scroll_home(animate=False)

    def _render_body(self) -> None:
        self.stacked = self._narrow()
        body = self.query_one("#detail-body", Static)
        if self.item is None:
            body.update(Text(self.empty, style="dim"))
        else:
            body.update(describe(self.item, self.stacked, self.limits, self.failure))
