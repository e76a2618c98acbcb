"""The detail pane: exactly what will be posted for the highlighted photo, and its errors.

It shows the rendered post value (`FlickrPost` or `PixelfedPost`) field by field; nothing
else is sent, so nothing else is shown as if it were.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from sync.plan import PlanItem
from sync.platforms.flickr import FlickrPost
from sync.platforms.pixelfed import PixelfedPost
from sync.provenance import provenance
from sync.rules import Action
from tui.widgets.fixes import fix_for
from tui.widgets.photo_table import ACTION_STYLES

ACTION_SENTENCES = {
    Action.ADD: "will be posted",
    Action.UPDATE: "will be updated: new image and text",
    Action.METADATA: "will be updated: text only",
    Action.DELETE: "will be deleted from the platform",
    Action.ERROR: "cannot be posted until the errors below are fixed in IMatch",
    Action.UNCHANGED: "is up to date: nothing to do",
}


def human_size(size: int) -> str:
    """`2.4 MB`, `830 KB`, `512 B`."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def _fields() -> Table:
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column("field", style="bold", no_wrap=True, width=11)
    table.add_column("value", ratio=1, overflow="fold")
    return table


def _or_none(value: str) -> Text:
    return Text(value) if value.strip() else Text("(none)", style="dim italic")


def _named(ids: tuple[str, ...], names: dict[str, str]) -> Text:
    if not ids:
        return Text("(none)", style="dim italic")
    return Text("\n".join(f"{names[i]}  ({i})" if i in names else i for i in ids))


def _privacy(post: FlickrPost) -> str:
    if post.is_public:
        return "public"
    seen_by = [who for who, on in (("friends", post.is_friend), ("family", post.is_family)) if on]
    return "private, visible to " + " and ".join(seen_by) if seen_by else "private"


def flickr_fields(post: FlickrPost, names: dict[str, str]) -> Table:
    table = _fields()
    table.add_row("Title", _or_none(post.title))
    table.add_row("Description", _or_none(post.description))
    table.add_row("Tags", _or_none(", ".join(post.tags)))
    taken = post.date_taken.strftime("%Y-%m-%d %H:%M:%S") if post.date_taken else ""
    if taken and post.date_granularity == 8:
        taken += " (circa)"
    table.add_row("Date taken", _or_none(taken))
    table.add_row("Albums", _named(post.albums, names))
    table.add_row("Groups", _named(post.groups, names))
    table.add_row("Privacy", _privacy(post))
    return table


def pixelfed_fields(post: PixelfedPost) -> Table:
    table = _fields()
    table.add_row("Caption", _or_none(post.caption))
    hashtags = [word for word in post.caption.split() if word.startswith("#")]
    table.add_row("Hashtags", _or_none(" ".join(hashtags)))
    table.add_row("Alt text", _or_none(post.alt_text))
    table.add_row("Visibility", post.visibility)
    return table


def album_and_group_names(item: PlanItem) -> dict[str, str]:
    """Remote id -> IMatch category name, from the photo's `albums|`/`groups|` categories."""
    names: dict[str, str] = {}
    for path, description in item.photo.categories.items():
        first = next((ln.strip() for ln in description.splitlines() if ln.strip()), "")
        if first and ("|albums|" in path or "|groups|" in path):
            names[first] = path.rsplit("|", 1)[-1]
    return names


def provenance_table(item: PlanItem) -> Table:
    """Which file is uploaded, where its metadata comes from, which post it matches."""
    origin = provenance(item.photo)
    table = _fields()
    table.add_row("Uploads", origin.file)
    table.add_row("Metadata", origin.metadata)
    table.add_row("Post", origin.post)
    return table


def describe(item: PlanItem) -> RenderableType:
    """Everything the pane shows for one photo."""
    photo, verdict = item.photo, item.verdict
    heading = Text.assemble(
        (photo.name, "bold"),
        "  ",
        (verdict.action.value.upper(), f"bold {ACTION_STYLES[verdict.action]}"),
    )
    sentence = Text(f"This photo {ACTION_SENTENCES[verdict.action]}.")
    if verdict.note:
        sentence.append(f" {verdict.note}.", style="italic")
    parts: list[RenderableType] = [heading, sentence, Text()]
    if verdict.errors:
        parts.append(Text("Errors — what to fix in IMatch", style="bold underline"))
        for name in verdict.errors:
            parts.append(Text(f"✗ {name}", style="bold red"))
            fix = Table.grid(padding=(0, 0, 0, 2))
            fix.add_column(ratio=1)
            fix.add_row(fix_for(name))
            parts.append(fix)
        parts.append(Text())
    post: Any = item.rendered.post
    title = "What will be posted" if verdict.action is not Action.DELETE else "The post"
    parts.append(Text(title, style="bold underline"))
    if isinstance(post, FlickrPost):
        parts.append(flickr_fields(post, album_and_group_names(item)))
    elif isinstance(post, PixelfedPost):
        parts.append(pixelfed_fields(post))
    file_table = _fields()
    file_table.add_row("File", str(post.file.path))
    exists = "" if photo.file_exists else "  (not found on disk)"
    file_table.add_row("Size", f"{human_size(post.file.size)}, {post.file.format}{exists}")
    parts.append(file_table)
    parts.append(provenance_table(item))
    for warning in item.rendered.warnings:
        parts.append(Text(f"⚠ {warning}", style="yellow"))
    return Group(*parts)


class DetailPane(VerticalScroll, can_focus=False):
    """Scrollable; updated whenever the table's highlighted row changes."""

    DEFAULT_CSS = """
    DetailPane { padding: 0 1; }
    DetailPane > Static { width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(Text("No photo highlighted.", style="dim"), id="detail-body")

    def show(self, item: PlanItem | None, empty: str = "No photo highlighted.") -> None:
        body = self.query_one("#detail-body", Static)
        if item is None:
            body.update(Text(empty, style="dim"))
        else:
            body.update(describe(item))
        self.scroll_home(animate=False)
