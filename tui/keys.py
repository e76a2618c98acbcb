"""Every key binding of the main screen, with its id, footer label and tooltip.

One list feeds the screen's `BINDINGS`, the help screen and the command palette, so the
three never disagree. Ids are stable: they are what a keymap would remap.
"""

from __future__ import annotations

from textual.binding import Binding

from sync.platforms import registry


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _update_tooltip() -> str:
    """What `u` does on each platform, from whether it can replace a published image."""
    specs = registry.specs()
    full = [s.name for s in specs if s.default_limits().replaces_images]
    text_only = [s.name for s in specs if not s.default_limits().replaces_images]
    parts = [f"image and text on {_and(full)}"] if full else []
    if text_only:
        names = _and(text_only)
        who = names if len(text_only) == 1 else "they"
        parts.append(f"text only on {names} ({who} cannot replace the image)")
    return f"Send the photos flagged _update again: {'; '.join(parts)}."


RUN_BINDINGS = [
    Binding(
        "a", "add", "Add", tooltip="Post the photos to add (selected ones, else all).", id="add"
    ),
    Binding(
        "u",
        "update",
        "Update",
        tooltip=_update_tooltip(),
        id="update",
    ),
    Binding(
        "m",
        "metadata",
        "Metadata",
        tooltip="Update only the text of the photos flagged _metadata.",
        id="metadata",
    ),
    Binding(
        "d",
        "delete",
        "Delete",
        tooltip="Delete the posts flagged _delete (asks first, lists them).",
        id="delete",
    ),
    Binding(
        "e",
        "errors",
        "Errors",
        tooltip="List the photos with errors in IMatch under __errors|<error name>.",
        id="process-errors",
    ),
    Binding(
        "s",
        "sync",
        "Sync all",
        tooltip="Do everything this tab has to do: add, update, metadata, delete, errors.",
        id="sync-all",
    ),
    Binding(
        "B",
        "baseline",
        "Baseline",
        show=False,
        tooltip="Record what is published now as the starting point of change detection "
        "(nothing is sent to the platform).",
        id="baseline",
    ),
    Binding(
        "escape",
        "cancel",
        "Stop",
        tooltip="Stop the run once the photos in progress are done (or close the search).",
        id="cancel",
    ),
]

PHOTO_BINDINGS = [
    Binding(
        "space",
        "toggle_select",
        "Select",
        tooltip="Select or unselect the highlighted photo; actions then apply to the selection.",
        id="select",
    ),
    Binding(
        "ctrl+a",
        "select_all",
        "Select all",
        show=False,
        tooltip="Select every photo in the current filter (again: unselect them).",
        id="select-all",
    ),
    Binding(
        "slash",
        "search",
        "Search",
        key_display="/",
        tooltip="Filter the table by name or title as you type.",
        id="search",
    ),
    Binding(
        "i",
        "toggle_detail",
        "Details",
        tooltip="Show or hide the detail pane (enter shows it and moves there; tab moves "
        "between table, details and log; escape goes back to the table).",
        id="details",
    ),
    Binding(
        "r",
        "rescan",
        "Rescan",
        tooltip="Read IMatch again (after you fixed photos there).",
        id="rescan",
    ),
    Binding(
        "right_square_bracket",
        "next_platform",
        "Next platform",
        key_display="]",
        show=False,
        tooltip="Show the next platform's tab ([ for the previous one).",
        id="next-platform",
    ),
    Binding(
        "left_square_bracket",
        "next_platform(-1)",
        "Previous platform",
        key_display="[",
        show=False,
        tooltip="Show the previous platform's tab.",
        id="previous-platform",
    ),
    Binding(
        "l",
        "login",
        "Log in",
        tooltip="Log in to the platform, or check its token (says so when already logged in).",
        id="login",
    ),
]

FILTER_BINDINGS = [
    Binding(
        str(number),
        f"filter('{name}')",
        label,
        show=False,
        tooltip=tooltip,
        id=f"filter-{name}",
    )
    for number, (name, label, tooltip) in enumerate(
        (
            ("all", "Show all", "Show every photo of the platform."),
            ("add", "Show add", "Show the photos that will be posted."),
            ("update", "Show update", "Show the photos whose image and text will be replaced."),
            ("metadata", "Show metadata", "Show the photos whose text will be updated."),
            ("delete", "Show delete", "Show the posts that will be deleted."),
            ("errors", "Show errors", "Show the photos that cannot be posted yet."),
            ("unchanged", "Show unchanged", "Show the photos that are up to date."),
            (
                "changed",
                "Show changed",
                "Show the posted photos changed in IMatch since they were published.",
            ),
        ),
        start=1,
    )
]

APP_BINDINGS = [
    Binding(
        "question_mark,f1",
        "help",
        "Help",
        key_display="?",
        tooltip="Show every key and what it does.",
        id="help",
    ),
    Binding(
        "q",
        "quit",
        "Quit",
        tooltip="Leave; a run stops after the photos in progress.",
        id="quit",
    ),
]

NARROW_FOOTER = frozenset({"sync-all", "select", "search", "details", "help", "quit"})
"""The binding ids the footer shows when the terminal is narrow (80 columns): the rest
are in the help screen (`?`) and the command palette."""
ROOMY_FOOTER_ONLY = frozenset({"details"})
"""Shown in the footer from 130 columns, and on a narrow terminal (where the detail pane
is hidden until asked for); between the two the pane is on screen anyway."""

FILTER_HELP = Binding(
    "1",
    "filter('all')",
    "Filter",
    key_display="1 … 8",
    tooltip="Show all, add, update, metadata, delete, errors, unchanged or changed photos "
    "(the numbered bar above the table).",
    id="filter-help",
)
"""One help row for the eight filter keys (not bound itself)."""

MOVE_HELP = Binding(
    "home",
    "scroll_top",
    "First / last",
    key_display="home end",
    tooltip="Go to the first or last photo (pageup and pagedown move a page). In the "
    "detail pane the same keys scroll it.",
    id="move-help",
)
"""One help row for the table's movement keys (bound by the table itself)."""

HELP_GROUPS = (
    ("Sync", RUN_BINDINGS),
    ("Photos", [*PHOTO_BINDINGS, FILTER_HELP, MOVE_HELP]),
    (
        "App",
        [
            *APP_BINDINGS,
            Binding(
                "ctrl+p",
                "command_palette",
                "Commands",
                tooltip="Every action by name.",
                id="palette-help",
            ),
        ],
    ),
)
