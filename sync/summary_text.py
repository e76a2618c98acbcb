"""The words that sum up a run, the same in the headless report and the TUI's run panel.

`outcome` lists what happened (non-zero counts only, in one order, one label each);
`run_sentence` says how the run ended around it: `Done: 2 added, 1 failed, 5 unchanged.`
"""

from __future__ import annotations

from sync.events import RunSummary
from sync.plain_words import plain


def count_of(number: int, noun: str, plural: str = "") -> str:
    """`1 photo`, `2 photos`, `10,000 photos`."""
    word = noun if number == 1 else (plural or noun + "s")
    return f"{number:,} {word}"


def outcome(summary: RunSummary) -> str:
    """`2 added, 1 deleted, 1 delete flags cleared, ...`; `nothing changed` when nothing did."""
    parts = [
        f"{count} {label}"
        for count, label in (
            (summary.added, "added"),
            (summary.updated, "updated"),
            (summary.metadata, "metadata updated"),
            (summary.deleted, "deleted"),
            (summary.cleared, "delete flags cleared"),
            (summary.reposted, "reposted as new posts"),
            (summary.adopted, "recovered from an interrupted run"),
            (summary.completed, "interrupted changes recorded"),
            (summary.unrecorded, "made but not yet recorded in IMatch"),
            (summary.failed, "failed"),
            (summary.skipped, "not started"),
        )
        if count
    ]
    if summary.errors and summary.categories_written:
        parts.append(f"{summary.errors} with errors listed in IMatch")
    elif summary.errors:
        parts.append(f"{summary.errors} with errors (not listed in IMatch this time)")
    if summary.unchanged:
        parts.append(f"{summary.unchanged} unchanged")
    return ", ".join(parts) or "nothing changed"


def run_sentence(summary: RunSummary) -> str:
    """How the run ended and what it did, as one sentence."""
    done = outcome(summary)
    if summary.stopped:
        return f"Stopped: {plain(summary.stopped)}. {done}."
    if summary.limited:
        return f"Uploads stopped: {plain(summary.limited)}. {done}."
    if summary.cancelled:
        return f"Cancelled: {done}."
    return f"Done: {done}."
