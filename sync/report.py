"""What the headless mode prints: the plan, outcomes as they happen, and the summary.

Plain lines by default; a live progress line when attached to a terminal; with `--json`
the only thing on standard output is one JSON document (lines go to standard error).
"""

from __future__ import annotations

import json
import sys
import weakref
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any, TextIO, overload

from sync.events import (
    Event,
    PhotoDone,
    PhotoFailed,
    PlatformLimited,
    PlatformStopped,
    Progress,
    RunSummary,
    Waiting,
)
from sync.limit_details import LIMIT_ERRORS, limit_detail
from sync.plain_words import plain
from sync.plan import (
    Plan,
    PlanItem,
    ScanProgress,
    default_limits,
    field_changes,
    unrecorded_post,
)
from sync.platforms.base import Limits
from sync.provenance import one_line, provenance, provenance_fields
from sync.rules import Action
from sync.setup_problems import SetupProblem
from sync.summary_text import count_of, run_sentence

LISTING_BLOCK = 2000
"""Lines of a dry run's listing written at once."""
PAST = {
    "add": "added",
    "update": "updated",
    "metadata": "updated metadata of",
    "delete": "deleted",
    "repost": "reposted (new post)",
}


def changes(item: PlanItem) -> dict[str, dict[str, str]]:
    """For a `changed` photo: each field that differs, as it was published and as it
    would be now (the file by its fingerprint)."""
    if item.action is not Action.CHANGED:
        return {}
    return {name: {"was": was, "now": now} for name, was, now in field_changes(item)}


class PhotoRows(Sequence[dict[str, Any]]):
    """A dry run's row for each photo of a plan, made when read: only `--json` prints
    them, and at 50,000 photos a row each was the largest thing a dry run held.

    The plan is held weakly: a headless dry run releases each platform's plan once it is
    listed, and these rows must not keep it (they are then empty)."""

    def __init__(self, plan: Plan) -> None:
        self._plan = weakref.ref(plan)

    @property
    def _items(self) -> list[PlanItem]:
        plan = self._plan()
        return plan.items if plan is not None else []

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [self._row(item) for item in self._items[index]]
        return self._row(self._items[index])

    def _row(self, item: PlanItem) -> dict[str, Any]:
        return {
            "id": item.file_id,
            "name": item.photo.name,
            "title": item.photo.title,
            "action": item.action.value,
            "errors": list(item.verdict.errors),
            "note": item.verdict.note,
            "changed": changes(item),
            **provenance_fields(provenance(item.photo)),
        }


def _error_list(item: PlanItem, limits: Limits | None) -> str:
    """`caption too long (612 characters; at most 500), missing genre`."""
    if not item.verdict.errors:
        return ""
    if LIMIT_ERRORS.isdisjoint(item.verdict.errors):
        return ", ".join(item.verdict.errors)  # the post is made again only for numbers
    limits = limits or default_limits(item.platform)
    size = item.rendered.size
    named = []
    for name in item.verdict.errors:
        numbers = limit_detail(name, size, limits)
        named.append(f"{name} ({numbers})" if numbers else name)
    return ", ".join(named)


class Reporter:
    def __init__(self, out: TextIO | None = None, *, json_mode: bool = False) -> None:
        self.json_mode = json_mode
        self.out = out or sys.stdout
        self.lines: TextIO = sys.stderr if json_mode else self.out
        self.live = self.lines.isatty()
        self.results: dict[str, dict[str, Any]] = {}
        self._progress_shown = False
        self._shown_warnings: set[str] = set()
        self.stop_problem: SetupProblem | None = None
        """Why nothing could run (configuration, IMatch), for the JSON document too."""

    def say(self, text: str) -> None:
        self._clear_progress()
        print(text, file=self.lines, flush=True)

    def __call__(self, event: Event) -> None:
        if isinstance(event, PhotoDone):
            verb = PAST.get(event.action, event.action)
            url = f" {event.url}" if event.url else ""
            self.say(f"{event.platform}: {verb} {event.name}{url}")
            for warning in event.warnings:
                self._shown_warnings.add(f"{event.name}: {warning}")
                self.say(f"{event.platform}: warning: {event.name}: {warning}")
        elif isinstance(event, PhotoFailed):
            reason = plain(event.reason)
            self.say(f"{event.platform}: FAILED {event.action} {event.name}: {reason}")
        elif isinstance(event, Waiting) and event.reason == "rate limit":
            self.say(f"{event.platform}: waiting {event.seconds:.0f} s for the rate limit")
        elif isinstance(event, PlatformStopped):
            self.say(f"{event.platform}: stopped: {plain(event.reason)}")
        elif isinstance(event, PlatformLimited):
            self.say(f"{event.platform}: no more uploads this run: {plain(event.reason)}")
        elif isinstance(event, Progress) and self.live:
            print(f"\r{event.platform}: {event.done}/{event.total}", end="", file=self.lines)
            self._progress_shown = True

    def scan_progress(self, platform: str) -> ScanProgress:
        """How reading and planning advance, on one updated line when on a terminal."""

        def show(stage: str, done: int, total: int) -> None:
            if self.live:
                what = "reading IMatch" if stage == "reading" else stage
                # Cleared first: a planning line is shorter than the reading line before it.
                line = f"\r\033[K{platform}: {what} {done:,}/{total:,}"
                print(line, end="", file=self.lines, flush=True)
                self._progress_shown = True

        return show

    def _clear_progress(self) -> None:
        if self._progress_shown:
            print("\r\033[K", end="", file=self.lines)
            self._progress_shown = False

    def cannot_run(self, problem: SetupProblem) -> None:
        """Nothing could run: said (with the remedy) on one line and carried by the JSON
        document."""
        self.stop_problem = problem
        self.say(problem.line())

    def problem(self, problem: SetupProblem) -> None:
        """A platform cannot run: why and what to do, on one line."""
        self.say(f"{problem.platform}: cannot run: {problem.line()}")
        self.results[problem.platform] = {
            "status": "not run",
            "problem": problem.message,
            "kind": problem.kind.value,
            "remedy": problem.remedy,
        }

    def plan(self, plan: Plan, dry_run: bool, limits: Limits | None = None) -> None:
        """The plan's counts; with `dry_run` each photo to act on, its errors with the
        numbers of a limit error (`limits`: the connected platform's, else its defaults)."""
        counts = plan.counts()
        heading = ", ".join(f"{counts[a.value]} {a.value}" for a in Action if counts[a.value])
        self.say(f"{plan.platform}{' (dry run)' if dry_run else ''}: {heading or 'nothing'}")
        if plan.baseline_missing:
            unrecorded = sum(map(unrecorded_post, plan.items))
            some = count_of(unrecorded, "posted photo")
            have, them = ("has", "it") if unrecorded == 1 else ("have", "them")
            self.say(
                f"{plan.platform}: {some} {have} no record of what was published, so "
                f"{'it is' if unrecorded == 1 else 'they are'} never shown as changed: "
                f"`imatch-socials baseline --platform {plan.platform}` records {them} "
                f"(no {plan.platform} call)"
            )
        if dry_run:
            lines: list[str] = []
            for item in plan.items:
                if item.action is Action.UNCHANGED:
                    continue
                detail = _error_list(item, limits) or item.verdict.note
                if item.action is Action.CHANGED:
                    detail = "changed: " + ", ".join(item.verdict.changed)
                title = item.photo.title or "(no title)"
                line = f"  {item.action.value:<9} {item.photo.name}  {title}  {detail}"
                lines.append(line.rstrip())
                lines.append(f"            {one_line(provenance(item.photo))}")
                # A write per block of photos, not two flushed writes per photo, nor the
                # listing of 50,000 photos held whole (20 MB at its peak).
                if len(lines) >= LISTING_BLOCK:
                    self.say("\n".join(lines))
                    lines.clear()
            if lines:
                self.say("\n".join(lines))
            rows = PhotoRows(plan)
            self.results[plan.platform] = {
                "status": "dry run",
                "plan": counts,
                "baseline_missing": plan.baseline_missing,
                "photos": list(rows) if self.json_mode else rows,
            }

    def summary(self, summary: RunSummary) -> None:
        self.say(f"{summary.platform}: {run_sentence(summary)}")
        if summary.limited:
            # The reason is in the sentence above: said once more, it reads as another one.
            self.say(f"{summary.platform}: the photos not uploaded are tried again next run")
        if summary.unrecorded:
            one = summary.unrecorded == 1
            self.say(
                f"{summary.platform}: {count_of(summary.unrecorded, 'change')} "
                f"{'was' if one else 'were'} made that IMatch could not record; the next run "
                f"records {'it' if one else 'them'}"
            )
        for line in summary.gone:
            self.say(f"{summary.platform}: {line}")
        if summary.changed_left:
            one = summary.changed_left == 1
            they, were, are, them = (
                ("it", "was", "is", "it") if one else ("they", "were", "are", "them")
            )
            self.say(
                f"{summary.platform}: {count_of(summary.changed_left, 'photo')} changed in "
                f"IMatch since {they} {were} published {were} left as {they} {are}: "
                f"`--only changed` publishes {them} "
                '(or detect_changes = "publish" in config.toml)'
            )
        quiet = not (summary.adopted or summary.completed or summary.limited or summary.stopped)
        if summary.changed == 0 and summary.failed == 0 and quiet:
            self.say(f"{summary.platform}: nothing left to do")
        for name, errors in summary.error_photos:
            self.say(f"{summary.platform}:   {name}: {', '.join(errors)}")
        for warning in summary.warnings:
            if warning not in self._shown_warnings:
                self.say(f"{summary.platform}: warning: {warning}")
        result = asdict(summary)
        # The HTTP libraries' own words stay in the log file; the IMatch app shows these.
        result["failures"] = [(name, plain(reason)) for name, reason in summary.failures]
        result["stopped"] = plain(summary.stopped)
        result["limited"] = plain(summary.limited)
        self.results[summary.platform] = {"status": "run", **result}

    def finish(self, exit_code: int) -> None:
        """The JSON document (with `--json`), with why nothing could run when it could not."""
        self._clear_progress()
        if self.json_mode:
            document: dict[str, Any] = {"exit_code": exit_code, "platforms": self.results}
            if self.stop_problem is not None:
                document["problem"] = self.stop_problem.text
                document["problem_kind"] = self.stop_problem.kind.value
                document["remedy"] = self.stop_problem.remedy
            print(json.dumps(document, indent=1), file=self.out, flush=True)
