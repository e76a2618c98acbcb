"""One platform's tab: account line, action filter, search, photo table, detail, run panel.

It keeps the tab's state (the plan's items, the filter, the selection, each row's run
state) and turns the engine's events into row and log updates. The main screen decides
what to run; this view only says which photos an action applies to.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from sync.events import (
    Event,
    PhotoDone,
    PhotoFailed,
    PhotoStarted,
    PlatformLimited,
    PlatformStopped,
    Progress,
    RunSummary,
    Waiting,
)
from sync.plain_words import plain
from sync.plan import PlanItem
from sync.plan_snapshot import PlanRow, PlanSnapshot
from sync.rules import Action
from sync.session import PlatformState, chosen_items
from sync.summary_text import count_of, run_sentence
from tui.widgets.detail_pane import DetailPane
from tui.widgets.filter_bar import FILTER_ACTIONS, FilterBar
from tui.widgets.photo_table import PhotoTable, TableRow, action_cell
from tui.widgets.run_panel import Clock, RunPanel

DONE_STATES = {
    "add": "added",
    "update": "updated",
    "metadata": "metadata updated",
    "delete": "deleted",
    "repost": "reposted",
}
PROGRESS_REDRAW_SECONDS = 0.2
SCAN_STAGES = {"reading": "Reading IMatch", "planning": "Planning"}
RUN_VERBS = {
    "add": "Adding",
    "update": "Updating",
    "metadata": "Updating metadata of",
    "changed": "Updating changed",
    "delete": "Deleting",
    "errors": "Listing errors of",
    "sync": "Syncing",
}


@dataclass(frozen=True)
class Chosen:
    """The photos an action applies to, and how to say it."""

    items: list[PlanItem]
    from_selection: bool


def summary_sentence(summary: RunSummary) -> str:
    """The run's summary, in the words the headless report uses."""
    return run_sentence(summary)


def as_of(taken: float, now: float | None = None) -> str:
    """`14:02` today, `27 Nov 14:02` on another day (local time)."""
    moment = time.localtime(taken)
    today = time.localtime(time.time() if now is None else now)
    if moment[:3] == today[:3]:
        return time.strftime("%H:%M", moment)
    return time.strftime("%d %b %H:%M", moment).lstrip("0")


def snapshot_detail(row: PlanRow, snapshot: PlanSnapshot | None) -> str:
    """What the detail pane says of a row from the last plan while the plan is made."""
    lines = [row.name, f"Title: {row.title or '(no title)'}"]
    if row.action is None:
        lines.append("Action: being planned")
    else:
        when = f"as of {as_of(snapshot.taken)}" if snapshot is not None else "last plan"
        lines.append(f"Action ({when}): {row.action.value}")
    if row.errors:
        lines.append(f"Errors: {', '.join(row.errors)}")
    if row.note:
        lines.append(row.note)
    lines.append("")
    lines.append("The post and its details are shown once the plan is refreshed.")
    return "\n".join(lines)


class PlatformView(Vertical):
    """The content of one platform's tab."""

    DEFAULT_CSS = """
    PlatformView { height: 1fr; }
    """

    def __init__(self, platform: str, clock: Clock) -> None:
        super().__init__(id=f"view-{platform}")
        self.platform = platform
        self.clock = clock
        self.state: PlatformState | None = None
        self.snapshot: PlanSnapshot | None = None
        """The last plan, shown until the plan made now is in (`state`); never acted on."""
        self.items: list[TableRow] = []
        """The plan's items, or the snapshot's rows while the plan is made."""
        self.by_id: dict[int, TableRow] = {}
        self.selected: set[int] = set()
        self.row_states: dict[int, str] = {}
        self.filter_name = "all"
        self.text_query = ""
        self.running = False
        self._lock_logged = ""
        """The run lock's holder this tab's log last named ("" when none)."""
        self._queued: set[int] = set()
        self.failures: dict[int, str] = {}
        """Why each photo failed in the last run that tried it (the platform's words)."""
        self._logged_warnings: set[str] = set()
        self.scan_progress_shown = False
        self.table_stale = False
        self._refit: Timer | None = None
        self._early_snapshot: tuple[PlanSnapshot, bool] | None = None
        self.unshown_snapshot: PlanSnapshot | None = None
        """Rows that came while the tab was not shown: made and shown when it is."""
        self.monotonic = time.monotonic
        """What progress redraws are timed with (a test may replace it)."""
        self._last_redraw = -PROGRESS_REDRAW_SECONDS

    def compose(self) -> ComposeResult:
        yield Static(id="platform-info", markup=False)
        yield FilterBar(id="filter-bar")
        yield Input(placeholder="Filter by name or title (enter: keep, escape: clear)", id="search")
        with Horizontal(id="panes"):
            yield PhotoTable(id="photos")
            yield DetailPane(id="detail")
        yield RunPanel(self.clock, id="run-panel")

    def on_mount(self) -> None:
        self.query_one("#search", Input).display = False
        # Only the table and detail wait behind a spinner: the run panel below shows how
        # the scan advances.
        self.query_one("#panes").loading = True
        if self._early_snapshot is not None and self.state is None:
            self._apply_snapshot(*self._early_snapshot)
        self._early_snapshot = None

    def _redraw_due(self, last: bool) -> bool:
        """Progress is redrawn a few times a second at most (and always at its end): at
        dozens of photos a second, a redraw each would take the UI's time."""
        now = self.monotonic()
        if last or now - self._last_redraw >= PROGRESS_REDRAW_SECONDS:
            self._last_redraw = now
            return True
        return False

    # --- parts -----------------------------------------------------------------------

    @property
    def table(self) -> PhotoTable:
        return self.query_one(PhotoTable)

    @property
    def detail(self) -> DetailPane:
        return self.query_one(DetailPane)

    @property
    def run_panel(self) -> RunPanel:
        return self.query_one(RunPanel)

    @property
    def filter_bar(self) -> FilterBar:
        return self.query_one(FilterBar)

    @property
    def ready(self) -> bool:
        return self.state is not None and self.state.ready

    # --- loading a plan --------------------------------------------------------------

    def show_scan_progress(self, stage: str, done: int, total: int) -> None:
        """`Reading IMatch: 2,500 of 10,000 photos…` while the platform is scanned."""
        if self.running:
            return
        self.scan_progress_shown = True
        if not self._redraw_due(done == 0 or done >= total):
            return
        what = SCAN_STAGES.get(stage, stage)
        self.run_panel.scanning(f"{what}: {done:,} of {count_of(total, 'photo')}…", done, total)

    def scan_failed(self) -> None:
        self.query_one("#panes").loading = False
        if self.scan_progress_shown:
            self.scan_progress_shown = False
            self.run_panel.end("Scan failed: see the log below.")

    def load(self, state: PlatformState, rescanned: bool = False, visible: bool = True) -> None:
        """Show a new plan (first scan or rescan), keeping selection and the cursor.

        A view on a tab not shown fills its table when its tab is chosen (`catch_up`):
        filling 50,000 rows takes a second the user should not feel on the other tab."""
        self.state = state
        over_snapshot = self.snapshot is not None and not self.table_stale
        self.snapshot = None
        self.unshown_snapshot = None
        plan = state.plan
        self.items = list(plan.items) if plan else []
        self.by_id = {item.file_id: item for item in self.items}
        self.selected &= self.by_id.keys()
        self.filter_bar.set_counts(plan.counts() if plan else {})
        self.show_info(state)
        if visible:
            if not (over_snapshot and self._update_in_place()):
                self.rebuild()
        else:
            self.table_stale = True
            self.show_selection_count()
        self.query_one("#panes").loading = False
        if self.scan_progress_shown:
            self.scan_progress_shown = False
            self.run_panel.end("Nothing running.")
        if not rescanned:
            self.log_scan(state)

    def show_snapshot(self, snapshot: PlanSnapshot, visible: bool = True) -> None:
        """The last plan's rows, marked with their time, while the plan is made again."""
        if self.state is not None:
            return  # the plan made now is already shown
        if snapshot.provisional and (self.snapshot or self.unshown_snapshot) is not None:
            return  # the last plan's rows say more than rows without actions
        if not self.is_mounted:  # the tab was added a moment ago: shown once it is mounted
            self._early_snapshot = (snapshot, visible)
            return
        self._apply_snapshot(snapshot, visible)

    def _apply_snapshot(self, snapshot: PlanSnapshot, visible: bool) -> None:
        if not visible:
            # Its rows are made when the tab is shown (`catch_up`), if the plan is not in
            # by then: most of the time they never are.
            self.unshown_snapshot = snapshot
            self.table_stale = True
            return
        rows = snapshot.made_rows()
        if rows is None:
            return  # cannot be shown: the spinner stays until the plan is in
        self.snapshot = snapshot
        self.items = list(rows)
        self.by_id = {row.file_id: row for row in self.items}
        self.filter_bar.set_counts(snapshot.counts())
        self.filter_bar.counts["all"] = len(self.items)
        self.filter_bar.refresh_label()
        when = "read from IMatch, " if snapshot.provisional else f"as of {as_of(snapshot.taken)}, "
        doing = "planning…" if snapshot.provisional else "refreshing…"
        info = self.query_one("#platform-info", Static)
        info.update(
            Text.assemble(
                ("◌ ", "yellow"),
                f"{self.platform}: {when}",
                (doing, "bold yellow"),
                f" — {count_of(len(self.items), 'photo')} in IMatch's Socials|{self.platform}",
            )
        )
        self.rebuild()
        self.query_one("#panes").loading = False

    def _update_in_place(self) -> bool:
        """The refreshed plan over its snapshot: only rows that changed are redrawn."""
        if not self.table.update_in_place(self.visible_items(), self.selected, self.row_states):
            return False
        self.show_selection_count()
        self.show_detail()
        return True

    def show_info(self, state: PlatformState) -> None:
        info = self.query_one("#platform-info", Static)
        total = len(self.items)
        if state.problem:
            info.update(
                Text.assemble(
                    ("⚠ ", "bold red"),
                    (f"{self.platform} cannot run: ", "bold red"),
                    plain(state.problem),
                    "\nPress ",
                    ("l", "bold"),
                    " to log in or check the token, then the plan below can run.",
                )
            )
            info.add_class("problem")
        else:
            who = state.account.name if state.account else "?"
            info.update(
                Text.assemble(
                    ("● ", "green"),
                    f"{self.platform}: logged in as ",
                    (who, "bold"),
                    f" — {count_of(total, 'photo')} in IMatch's Socials|{self.platform}",
                )
            )
            info.remove_class("problem")

    def log_scan(self, state: PlatformState) -> None:
        panel = self.run_panel
        plan = state.plan
        if plan is not None and not plan.publication.exists:
            panel.log_line(f"IMatch has no category {plan.publication.root}", "bold red")
        for warning in state.warnings:
            panel.log_line(f"warning: {warning}", "yellow")
        for line in state.reconciliation.lines():
            panel.log_line(line[:1].upper() + line[1:])
        # The first run's summary repeats these: they are logged once.
        self._logged_warnings.update(state.reconciliation.problems + state.reconciliation.warnings)
        if state.locked:
            panel.log_line(f"Interrupted work is finished by the next run: {state.locked}")
        counts = plan.counts() if plan else {}
        todo = ", ".join(f"{n:,} {a}" for a, n in counts.items() if n and a != "unchanged")
        scanned = count_of(len(self.items), "photo")
        panel.log_line(f"Scanned IMatch: {scanned} ({todo or 'nothing to do'})")
        if plan is not None and plan.baseline_missing:
            # A notice, not a modal: the app works the same without a baseline.
            panel.log_line(
                f"No baseline: posted photos changed in IMatch are not shown as changed. "
                f"Press B to record what is published now (nothing is sent to {self.platform})",
                "yellow",
            )

    # --- what is shown ---------------------------------------------------------------

    def visible_items(self) -> list[TableRow]:
        action = FILTER_ACTIONS[self.filter_name]
        items = self.items if action is None else [i for i in self.items if i.action is action]
        if self.text_query:
            needle = self.text_query.casefold()
            items = [
                i for i in items if needle in i.name.casefold() or needle in i.title.casefold()
            ]
        return items

    def show_selection_count(self) -> None:
        self.filter_bar.selected = len(self.selected)
        self.filter_bar.refresh_label()

    def catch_up(self) -> None:
        """Fill the table if a plan (or the last plan's rows) arrived while this view's
        tab was not shown."""
        unshown, self.unshown_snapshot = self.unshown_snapshot, None
        if unshown is not None and self.state is None:
            self._apply_snapshot(unshown, visible=True)
        elif self.table_stale:
            self.rebuild()

    def rebuild(self) -> None:
        self.table_stale = False
        self.show_selection_count()
        table = self.table
        keep = table.current_file_id()
        table.fill(self.visible_items(), self.selected, self.row_states, keep)
        self.show_detail()

    def show_detail(self) -> None:
        file_id = self.table.current_file_id()
        pane = self.query_one(DetailPane)
        if file_id is None:
            pane.show(None, "No photos in this filter. Press 1 to show all photos.")
        else:
            item = self.by_id.get(file_id)
            if isinstance(item, PlanRow):
                pane.show(None, snapshot_detail(item, self.snapshot))
                return
            limits = self.state.limits if self.state is not None else None
            failure = self.failures.get(file_id, "")
            pane.show(item, limits=limits, failure=failure)

    def set_filter(self, name: str) -> None:
        self.filter_name = name
        self.filter_bar.active = name
        self.rebuild()

    def set_text_query(self, text: str) -> None:
        text = text.strip()
        if text == self.text_query:
            return
        self.text_query = text
        self.filter_bar.query_text = text
        self.filter_bar.refresh_label()
        self.rebuild()

    @on(PhotoTable.ColumnsNoLongerFit)
    def _columns_no_longer_fit(self, event: PhotoTable.ColumnsNoLongerFit) -> None:
        """Fill the table again for its new width, once the terminal stops resizing (at
        once when the table was filled before it had a size: the first paint then shows
        the columns that fit, not a sideways-scrolling table for a moment)."""
        event.stop()
        if self._refit is not None:
            self._refit.stop()
            self._refit = None
        if event.first_layout:
            self._refit_columns()
        else:
            self._refit = self.set_timer(0.15, self._refit_columns)

    def _refit_columns(self) -> None:
        self._refit = None
        if self.state is None and self.snapshot is None:
            self.table.fill([], set(), {})
        elif not self.table_stale:
            self.rebuild()

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.show_detail()

    # --- search input ----------------------------------------------------------------

    def open_search(self) -> None:
        search = self.query_one("#search", Input)
        search.display = True
        search.focus()

    def close_search(self, clear: bool) -> None:
        search = self.query_one("#search", Input)
        if clear:
            search.value = ""
            self.set_text_query("")
        search.display = bool(self.text_query)
        self.table.focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.set_text_query(event.value)

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.close_search(clear=False)

    # --- selection -------------------------------------------------------------------

    def toggle_current(self) -> int | None:
        """Select or unselect the highlighted photo and move down; its id."""
        table = self.table
        file_id = table.current_file_id()
        if file_id is None:
            return None
        if file_id in self.selected:
            self.selected.discard(file_id)
        else:
            self.selected.add(file_id)
        self._refresh_row(file_id)
        self.show_selection_count()
        table.action_cursor_down()
        return file_id

    def select_all_visible(self) -> int:
        """Select every photo in the current filter, or unselect them if all were."""
        shown = {item.file_id for item in self.visible_items()}
        if shown and shown <= self.selected:
            self.selected -= shown
            count = -len(shown)
        else:
            count = len(shown - self.selected)
            self.selected |= shown
        self.rebuild()
        return count

    # --- what an action applies to ---------------------------------------------------

    def choose(self, actions: set[Action] | None) -> Chosen:
        """The selected photos in `actions` (None: everything to do), else the bucket;
        always from the plan made now, never from a snapshot."""
        plan = self.state.plan if self.state is not None else None
        chosen = chosen_items(plan, actions, self.selected) if plan is not None else []
        return Chosen(chosen, from_selection=bool(self.selected))

    # --- a run -----------------------------------------------------------------------

    def show_run_lock(self, holder: str) -> None:
        """Another run (headless, the IMatch app) holds the run lock, or no longer does:
        on the status line each time it is asked (loading a plan overwrites it), in the
        log once per holder."""
        if self.running:
            return
        if holder:
            sentence = f"Waiting: {holder}; the run keys come back when it has ended"
            self.run_panel.status(Text(f"⏳ {sentence}", style="bold yellow"))
            if holder != self._lock_logged:
                self._lock_logged = holder
                self.run_panel.log_line(sentence, "yellow")
        else:
            self._lock_logged = ""
            sentence = "The other run has ended: runs can start again (r shows what it changed)"
            self.run_panel.status(sentence)
            self.run_panel.log_line(sentence)

    def begin_run(self, verb: str, items: list[PlanItem]) -> None:
        self.running = True
        self.row_states = {}
        self._queued = {item.file_id for item in items if item.action is not Action.ERROR}
        for file_id in self._queued:
            self._set_state(file_id, "queued")
        description = (
            f"{RUN_VERBS.get(verb, verb)} {count_of(len(items), 'photo')} on {self.platform}…"
        )
        self.run_panel.begin(description, len(items))
        self.run_panel.log_line(description)
        if self.state is not None and self.state.pace:
            self.run_panel.log_line(f"Limits in use: {self.state.pace}", "dim")

    def _set_state(self, file_id: int, state: str) -> None:
        self.row_states[file_id] = state
        self._refresh_row(file_id)

    def _refresh_row(self, file_id: int) -> None:
        item = self.by_id.get(file_id)
        if item is not None:
            cell = action_cell(
                item.action, self.row_states.get(file_id, ""), file_id in self.selected
            )
            self.table.set_cell(file_id, "action", cell)

    def apply_event(self, event: Event) -> None:
        panel = self.run_panel
        if isinstance(event, PhotoStarted):
            self.failures.pop(event.file_id, None)
            self._set_state(event.file_id, "running")
            panel.status(f"{RUN_VERBS.get(event.action, event.action)} {event.name}…")
        elif isinstance(event, PhotoDone):
            self._queued.discard(event.file_id)
            item = self.by_id.get(event.file_id)
            state = DONE_STATES.get(event.action, event.action)
            on_platform = isinstance(item, PlanItem) and item.photo.on_platform
            if event.action == "delete" and item is not None and not on_platform:
                state = "flags cleared"
            self._set_state(event.file_id, state)
            url = f" {event.url}" if event.url else ""
            panel.log_line(f"{state} {event.name}{url}", "green")
            for warning in event.warnings:
                self._logged_warnings.add(f"{event.name}: {warning}")
                panel.log_line(f"warning: {event.name}: {plain(warning)}", "yellow")
        elif isinstance(event, PhotoFailed):
            self._queued.discard(event.file_id)
            self._set_state(event.file_id, f"failed: {event.error_name or event.reason}")
            reason = plain(event.reason)
            self.failures[event.file_id] = reason
            panel.log_line(f"FAILED {event.action} {event.name}: {reason}", "bold red")
            if self.table.current_file_id() == event.file_id:
                self.show_detail()
        elif isinstance(event, Waiting):
            sentence = panel.waiting(event.seconds, event.reason)
            if sentence:
                panel.log_line(sentence, "yellow")
        elif isinstance(event, Progress):
            if self._redraw_due(event.done >= event.total):
                panel.progress(event.done, event.total)
        elif isinstance(event, PlatformStopped):
            panel.log_line(f"{self.platform} stopped: {plain(event.reason)}", "bold red")
        elif isinstance(event, PlatformLimited):
            panel.log_line(f"No more uploads this run: {plain(event.reason)}", "bold red")

    def end_run(self, summary: RunSummary | None, problem: str = "") -> str:
        """Close the run's display; returns the sentence shown."""
        self.running = False
        for file_id in self._queued:
            if self.row_states.get(file_id) in ("queued", "running"):
                self._set_state(file_id, "skipped")
        self._queued = set()
        self.selected = set()
        self.show_selection_count()
        if summary is None:
            sentence = f"The run stopped: {plain(problem)}"
            style = "bold red"
        else:
            sentence = summary_sentence(summary)
            style = "bold red" if summary.failed or summary.stopped else "bold"
            for warning in summary.warnings:
                if warning not in self._logged_warnings:
                    self.run_panel.log_line(f"warning: {plain(warning)}", "yellow")
        self._logged_warnings = set()
        self.run_panel.end(sentence)
        self.run_panel.log_line(sentence, style)
        return sentence
