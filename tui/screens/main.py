"""The main screen: a tab per enabled platform, the keys that run the sync, the workers.

Scanning, running and logging in happen in workers that await the session thread; the
results come back as messages (`tui.messages`) whose handlers update the tabs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    Header,
    Input,
    Label,
    LoadingIndicator,
    TabbedContent,
    TabPane,
)
from textual.worker import Worker, WorkerState

from sync.events import Event
from sync.plain_words import plain
from sync.plan import PlanItem, ScanProgress
from sync.plan_snapshot import PlanSnapshot
from sync.rules import Action
from sync.session import (
    SETUP_ERRORS,
    PlatformState,
    SetupProblem,
    problem_of,
    unexpected,
)
from sync.summary_text import count_of
from tui.backend import CancelSwitch, SessionThread
from tui.keys import FILTER_BINDINGS, PHOTO_BINDINGS, RUN_BINDINGS
from tui.messages import (
    PlatformReady,
    PlatformScanFailed,
    RunEnded,
    RunEvent,
    RunLockChecked,
    ScanProgressed,
    SessionFailed,
    SessionOpened,
    SnapshotsLoaded,
)
from tui.screens.confirm import ConfirmDeleteScreen, ConfirmRepostScreen
from tui.screens.connection import ConnectionScreen
from tui.screens.login import LoginScreen
from tui.widgets.calm_loading import CalmLoadingIndicator
from tui.widgets.detail_pane import DetailPane, asks_repost
from tui.widgets.footer import SocialsFooter
from tui.widgets.platform_view import PlatformView
from tui.widgets.run_panel import Clock

RUN_ACTIONS: dict[str, set[Action] | None] = {
    "add": {Action.ADD},
    "update": {Action.UPDATE},
    "metadata": {Action.METADATA},
    "delete": {Action.DELETE},
    "errors": {Action.ERROR},
    "sync": None,
}
LOCK_CHECK_SECONDS = 1.0
"""How often the screen looks whether another run (headless, the IMatch app) holds the lock."""
NOTHING_TO_DO = {
    "add": "Nothing to add",
    "update": "Nothing to update",
    "metadata": "No metadata to update",
    "delete": "Nothing to delete",
    "errors": "No photos with errors",
    "sync": "Nothing to do",
}


class MainScreen(Screen[None]):
    """Owns the session workers; one `PlatformView` per enabled platform."""

    BINDING_GROUP_TITLE = "Photos"
    # 80x24 is a first-class size: narrow hides the detail pane (i or enter shows it)
    # and the footer's less used keys; short hides the header and shortens the log.
    # (Textual types these as instance variables, so no ClassVar.)
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide"), (130, "-roomy")]  # noqa: RUF012
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # noqa: RUF012
    BINDINGS: ClassVar[list[BindingType]] = [*RUN_BINDINGS, *PHOTO_BINDINGS, *FILTER_BINDINGS]

    def __init__(self, backend: SessionThread, clock: Clock, imatch_label: str | None) -> None:
        super().__init__()
        self.backend = backend
        self.clock = clock
        self._views: dict[str, PlatformView] = {}
        """Each platform's view, in the order of the tabs (mounted ones only)."""
        self._tabs: TabbedContent | None = None
        self.imatch_label = imatch_label
        self.imatch_url = ""
        self.busy: set[str] = set()
        """Platforms with a run or a scan in progress."""
        self.cancels: dict[str, CancelSwitch] = {}
        self.pending: set[str] = set()
        """Platforms of the first scan not reported yet."""
        self.quit_when_idle = False
        self.locked_by = ""
        """Which other run holds the run lock; the run keys wait while it is set."""
        self._checking_lock = False
        self.detail_opened_by_enter = False
        """The detail pane was hidden (narrow terminal) and enter showed it: escape hides it."""
        self.waiting_runs: dict[str, str] = {}
        """Run keys pressed while a platform showed its last plan: they act on the plan
        made now, once it is in (platform -> run kind)."""
        self.session_opened = False
        """IMatch answered and the tabs exist (else a failure shows the connection screen)."""
        self.worker_platforms: dict[Worker[None], str] = {}
        """The platform each running worker works for (to say where a bug stopped it)."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Vertical(Label("", id="loading-text", markup=False), id="loading")
        yield TabbedContent(id="platforms")
        yield SocialsFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one("#platforms").display = False
        self.start_session()
        self.set_interval(LOCK_CHECK_SECONDS, self._look_at_run_lock)

    def show_loading(self, text: str) -> None:
        """The startup state; the spinner exists only while shown (it costs a timer)."""
        box = self.query_one("#loading", Vertical)
        box.display = True
        self.query_one("#loading-text", Label).update(text)
        if not box.query(LoadingIndicator):
            box.mount(CalmLoadingIndicator(), before=0)

    def hide_loading(self) -> None:
        box = self.query_one("#loading", Vertical)
        box.display = False
        box.query(LoadingIndicator).remove()

    # --- views -----------------------------------------------------------------------

    # The views are kept by platform rather than looked up in the DOM: `current` is asked
    # for every key binding each time the footer or a key checks them, and a query walks
    # every widget of the screen.

    def views(self) -> list[PlatformView]:
        return list(self._views.values())

    def view_of(self, platform: str) -> PlatformView | None:
        return self._views.get(platform)

    @property
    def current(self) -> PlatformView | None:
        if self._tabs is None:
            self._tabs = self.query_one("#platforms", TabbedContent)
        if not self._tabs.active:
            return None
        return self.view_of(self._tabs.active.removeprefix("tab-"))

    # --- starting: open the session, prepare every platform --------------------------

    def start_session(self) -> None:
        self.show_loading("Connecting to IMatch…")
        self.open_session()

    @work(exclusive=True, group="session", exit_on_error=False)
    async def open_session(self) -> None:
        self.session_opened = False
        try:
            session = await self.backend.open()
        except SETUP_ERRORS as error:  # configuration, IMatch: the connection screen
            self.post_message(SessionFailed(problem_of(error)))
            return
        names = session.taking_part()
        warnings = tuple(session.warnings)
        self.post_message(SessionOpened(session.settings.imatch.url, names, warnings))
        snapshots = await self.backend.snapshots(names)
        if snapshots:
            self.post_message(SnapshotsLoaded(snapshots))
        # Each view lets its last plan go once the refreshed one is in: this worker,
        # which plans them all, must not keep them (50,000 rows each).
        del snapshots

        def prepared(state: PlatformState) -> None:
            self.post_message(PlatformReady(state))

        def failed(name: str, problem: SetupProblem) -> None:  # the other platforms go on
            self.post_message(PlatformScanFailed(name, plain(problem.line())))

        # The session plans one platform after the other: the first tab becomes usable
        # sooner, and each reads from IMatch only the files the ones before it did not.
        await self.backend.prepare_all(
            names, self._progress_of, self._rows_read_of, prepared, failed
        )

    def _progress_of(self, name: str) -> ScanProgress:
        """Reports from the session thread, as messages to this screen."""

        def progress(stage: str, done: int, total: int) -> None:
            self.post_message(ScanProgressed(name, stage, done, total))

        return progress

    def _rows_read_of(self, name: str) -> Callable[[PlanSnapshot], None]:
        """The photos as read from IMatch, shown while they are planned (first start)."""

        def read(rows: PlanSnapshot) -> None:
            self.post_message(SnapshotsLoaded({name: rows}))

        return read

    def _for_platform(self, worker: Worker[None], name: str) -> None:
        self.worker_platforms[worker] = name

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        """A worker stopped by an error nothing expected (a bug): said where it happened,
        with the log file, never a screen left waiting."""
        worker = event.worker
        if event.state in (WorkerState.SUCCESS, WorkerState.CANCELLED):
            self.worker_platforms.pop(worker, None)
        if event.state is not WorkerState.ERROR or worker.error is None:
            return
        problem = unexpected(worker.error)
        said = plain(problem.line())
        platform = self.worker_platforms.pop(worker, "")
        if worker.group == "session":
            if not self.session_opened:
                self.post_message(SessionFailed(problem))
            for name in sorted(self.pending):
                self.post_message(PlatformScanFailed(name, said))
        elif worker.group == "run" and platform:
            self.post_message(RunEnded(platform, None, said))
            self.busy.discard(platform)
        elif platform:
            self.post_message(PlatformScanFailed(platform, said))
        else:
            self.notify(said, title="Unexpected error", severity="error", timeout=30)

    @on(SessionFailed)
    def _session_failed(self, message: SessionFailed) -> None:
        self.hide_loading()
        url = self.imatch_url or self._configured_url()
        self.app.push_screen(ConnectionScreen([message.problem], url), self._after_connection)

    def _configured_url(self) -> str:
        from sync.config import load_settings

        try:
            return load_settings().imatch.url
        except SETUP_ERRORS:  # the screen already reports the configuration problem
            return ""

    @on(SessionOpened)
    async def _session_opened(self, message: SessionOpened) -> None:
        self.imatch_url = message.imatch_url
        self.session_opened = True
        self.app.sub_title = f"IMatch {self.imatch_label or message.imatch_url}"
        self.show_loading(f"Reading IMatch: {', '.join(message.platforms)}…")
        tabs = self.query_one("#platforms", TabbedContent)
        self._views = {}
        await tabs.clear_panes()
        for name in message.platforms:
            view = PlatformView(name, self.clock)
            await tabs.add_pane(TabPane(name, view, id=f"tab-{name}"))
            self._views[name] = view
        self.pending = set(message.platforms)
        self.busy = set(message.platforms)
        self.hide_loading()
        tabs.display = True
        self.refresh_bindings()
        for warning in message.warnings:
            self.app.notify(warning, title="Warning", severity="warning", timeout=20)

    @on(PlatformReady)
    def _platform_ready(self, message: PlatformReady) -> None:
        state = message.state
        self.busy.discard(state.name)
        view = self.view_of(state.name)
        if view is not None:
            view.load(state, rescanned=message.rescanned, visible=view is self.current)
            if message.rescanned:
                view.run_panel.log_line(f"Rescanned IMatch: {count_of(len(view.items), 'photo')}")
            if self.locked_by:  # loading said "Nothing running.": the other run still is
                view.show_run_lock(self.locked_by)
            if view is self.current:
                view.table.focus()
        self._first_scan_done(state.name)
        self.refresh_bindings()
        waiting = self.waiting_runs.pop(state.name, None)
        if waiting is not None and view is not None:
            self.request_run(waiting, view)
        self._maybe_quit()

    @on(SnapshotsLoaded)
    def _snapshots_loaded(self, message: SnapshotsLoaded) -> None:
        for name, snapshot in message.snapshots.items():
            view = self.view_of(name)
            if view is not None:
                view.show_snapshot(snapshot, visible=view is self.current)
                if view is self.current:
                    view.table.focus()

    @on(TabbedContent.TabActivated)
    def _tab_activated(self) -> None:
        view = self.current
        if view is not None:
            view.catch_up()

    @on(ScanProgressed)
    def _scan_progressed(self, message: ScanProgressed) -> None:
        view = self.view_of(message.platform)
        if view is not None:
            view.show_scan_progress(message.stage, message.done, message.total)

    @on(PlatformScanFailed)
    def _scan_failed(self, message: PlatformScanFailed) -> None:
        self.busy.discard(message.platform)
        view = self.view_of(message.platform)
        if view is not None:
            view.scan_failed()
            view.run_panel.log_line(f"Reading IMatch failed: {message.problem}", "bold red")
            if self.waiting_runs.pop(message.platform, None) is not None:
                view.run_panel.log_line("Nothing was run: the plan could not be made", "bold red")
        self.notify(message.problem, title=f"{message.platform}: scan failed", severity="error")
        self._first_scan_done(message.platform)
        self._maybe_quit()

    def _first_scan_done(self, name: str) -> None:
        if name not in self.pending:
            return
        self.pending.discard(name)
        if self.pending:
            return
        problems = [
            view.state.setup
            for view in self.views()
            if view.state is not None and view.state.setup is not None
        ]
        if problems:
            self.app.push_screen(
                ConnectionScreen(problems, self.imatch_url), self._after_connection
            )

    def _after_connection(self, choice: str | None) -> None:
        if choice == "retry":
            self.start_session()
        elif choice == "quit":
            self.app.exit()
        elif choice and choice.startswith("login:"):
            self.login(choice.removeprefix("login:"))

    # --- another run in progress -----------------------------------------------------

    def _look_at_run_lock(self) -> None:
        if self.backend.session is not None and not self._checking_lock:
            self._checking_lock = True
            self.check_run_lock()

    @work(thread=True, group="run-lock", exit_on_error=False)
    def check_run_lock(self) -> None:
        try:
            holder = self.backend.lock_holder()
        except SETUP_ERRORS:  # a state folder that cannot be used shows when a run starts
            holder = ""
        self.post_message(RunLockChecked(holder))

    @on(RunLockChecked)
    def _run_lock_checked(self, message: RunLockChecked) -> None:
        self._checking_lock = False
        if message.holder == self.locked_by:
            return
        self.locked_by = message.holder
        for view in self.views():
            view.show_run_lock(message.holder)
        self.refresh_bindings()

    # --- the keys --------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in RUN_ACTIONS and self.locked_by:
            return None  # shown, but disabled until the other run ends
        if action == "cancel":
            view = self.current
            searching = view is not None and view.query_one("#search", Input).has_focus
            return bool(self.cancels) or bool(self.waiting_runs) or searching
        return True

    @property
    def needs_login(self) -> bool:
        """A platform cannot run for want of a login (the footer then shows `l`)."""
        return any(v.state is not None and v.state.problem for v in self.views())

    def _usable(self, quiet: bool = False) -> PlatformView | None:
        view = self.current
        if view is None or (view.state is None and view.snapshot is None):
            if not quiet:
                self.notify("Still reading IMatch…", title="Please wait")
            return None
        return view

    def action_add(self) -> None:
        self.request_run("add")

    def action_update(self) -> None:
        self.request_run("update")

    def action_metadata(self) -> None:
        self.request_run("metadata")

    def action_delete(self) -> None:
        self.request_run("delete")

    def action_errors(self) -> None:
        self.request_run("errors")

    def action_sync(self) -> None:
        self.request_run("sync")

    def action_baseline(self) -> None:
        view = self._usable()
        if view is None:
            return
        name = view.platform
        if self.locked_by or name in self.busy:
            self.notify(f"{name} is busy: record the baseline when the run has ended.", title=name)
            return
        self.busy.add(name)
        self.refresh_bindings()
        self._for_platform(self.record_baseline(name), name)

    @work(group="baseline", exit_on_error=False)
    async def record_baseline(self, name: str) -> None:
        view = self.view_of(name)
        try:
            count = await self.backend.baseline(name)
        except SETUP_ERRORS as error:  # nothing was recorded: said on the tab
            problem = f"Baseline not recorded: {_problem_text(error, name)}"
            if view is not None:
                view.run_panel.log_line(problem, "bold red")
            self.notify(problem, title=name, severity="error")
            self.busy.discard(name)
            self.refresh_bindings()
            return
        try:
            state = await self.backend.rescan(name)
        except SETUP_ERRORS as error:  # shown on the tab
            self.post_message(PlatformScanFailed(name, _problem_text(error, name)))
            return
        if view is not None:
            view.run_panel.log_line(
                f"Baseline recorded for {count_of(count, 'posted photo')} (nothing was sent "
                f"to {name}): from now on a photo changed in IMatch is shown as changed"
            )
        self.post_message(PlatformReady(state, rescanned=True))

    def action_filter(self, name: str) -> None:
        view = self._usable()
        if view is not None:
            view.set_filter(name)

    def action_next_platform(self, step: int = 1) -> None:
        tabs = self.query_one("#platforms", TabbedContent)
        names = [view.platform for view in self.views()]
        current = self.current
        if not names or current is None:
            return
        index = (names.index(current.platform) + step) % len(names)
        tabs.active = f"tab-{names[index]}"
        view = self.current
        if view is not None:
            view.table.focus()

    def action_search(self) -> None:
        view = self._usable()
        if view is not None:
            view.open_search()

    def action_toggle_select(self) -> None:
        view = self._usable()
        if view is not None:
            view.toggle_current()

    def action_select_all(self) -> None:
        view = self._usable()
        if view is None:
            return
        changed = view.select_all_visible()
        if changed >= 0:
            selected = count_of(len(view.selected), "photo")
            self.notify(f"{selected} selected", title=view.platform, timeout=2)
        else:
            self.notify(f"Unselected {count_of(-changed, 'photo')}", title=view.platform, timeout=2)

    # --- the detail pane ---------------------------------------------------------------

    def _show_detail(self, shown: bool) -> None:
        self.set_class(shown, "-show-detail")
        self.set_class(not shown, "-hide-detail")

    def action_toggle_detail(self) -> None:
        view = self.current
        if view is None:
            return
        shown = view.detail.display
        self._show_detail(not shown)
        self.detail_opened_by_enter = False
        if shown and view.detail.has_focus:
            view.table.focus()

    @on(DataTable.RowSelected)
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        """Enter on a photo: its details take the keys (shown first if hidden)."""
        view = self.current
        if view is None:
            return
        if not view.detail.display:
            self._show_detail(True)
            self.detail_opened_by_enter = True
        view.detail.focus()

    @on(DetailPane.Left)
    def _detail_left(self) -> None:
        view = self.current
        if self.detail_opened_by_enter:
            self.remove_class("-show-detail")
            self.detail_opened_by_enter = False
        if view is not None:
            view.table.focus()

    def action_cancel(self) -> None:
        view = self.current
        if view is not None and view.query_one("#search", Input).has_focus:
            view.close_search(clear=True)
            return
        waiting = view.platform if view is not None else ""
        if waiting in self.waiting_runs and view is not None:
            kind = self.waiting_runs.pop(waiting)
            sentence = f"Cancelled: {kind} will not run when the refreshed plan is in"
            view.run_panel.log_line(sentence)
            self.notify(sentence, title=waiting, timeout=3)
            return
        running = [name for name in self.cancels if view is None or name == view.platform]
        for name in running or list(self.cancels):
            switch = self.cancels[name]
            if switch.requested:
                continue
            switch.set()
            target = self.view_of(name)
            if target is not None:
                target.run_panel.status("Stopping after the photos in progress…")
                target.run_panel.log_line("Stop requested: finishing the photos in progress")

    def action_rescan(self) -> None:
        if self.backend.session is None:
            self.start_session()
            return
        for view in self.views():
            if view.platform in self.busy:
                self.notify(
                    f"{view.platform} is busy; it is rescanned when its run ends.",
                    title="Rescan",
                )
                continue
            self.busy.add(view.platform)
            view.run_panel.status("Reading IMatch…")
            self._for_platform(self.rescan(view.platform), view.platform)

    @work(group="rescan", exit_on_error=False)
    async def rescan(self, name: str) -> None:
        try:
            state = await self.backend.rescan(name, self._progress_of(name))
        except SETUP_ERRORS as error:  # shown on the tab
            self.post_message(PlatformScanFailed(name, _problem_text(error, name)))
            return
        self.post_message(PlatformReady(state, rescanned=True))

    def action_login(self) -> None:
        view = self.current
        problem_views = [v for v in self.views() if v.state is not None and v.state.problem]
        if view is not None and view in problem_views:
            self.login(view.platform)
        elif view is not None and view.ready:
            self._say_logged_in(view, problem_views)
        elif problem_views:
            self.login(problem_views[0].platform)
        elif view is not None:
            self.login(view.platform)

    def _say_logged_in(self, view: PlatformView, others: list[PlatformView]) -> None:
        """`l` on a platform that is logged in: say so, and where a login is needed."""
        state = view.state
        who = state.account.name if state is not None and state.account else "?"
        sentence = f"Already logged in to {view.platform} as {who}."
        if others:
            sentence += f" {others[0].platform} is not connected: press ] then l there."
        view.run_panel.log_line(sentence)
        self.notify(sentence, title="Log in", timeout=4)

    def login(self, platform: str) -> None:
        if self.backend.session is None:
            self.notify("Connect to IMatch first (r).", severity="warning")
            return

        def after(ok: bool | None) -> None:
            if ok:
                self.busy.add(platform)
                view = self.view_of(platform)
                if view is not None:
                    view.run_panel.log_line(f"Logged in: connecting to {platform} again")
                self._for_platform(self.reconnect(platform), platform)

        self.app.push_screen(LoginScreen(platform, self.backend), after)

    @work(group="reconnect", exit_on_error=False)
    async def reconnect(self, name: str) -> None:
        try:
            state = await self.backend.reconnect(name)
        except SETUP_ERRORS as error:  # shown on the tab
            self.post_message(PlatformScanFailed(name, _problem_text(error, name)))
            return
        self.post_message(PlatformReady(state))

    # --- runs ------------------------------------------------------------------------

    def request_run(self, kind: str, view: PlatformView | None = None) -> None:
        view = view or self._usable()
        if view is None:
            return
        name = view.platform
        if view.state is None:
            self._wait_for_plan(view, kind)
            return
        if self.locked_by:
            self.notify(f"{self.locked_by}: try again when it has ended.", title=name)
            return
        if name in self.busy:
            self.notify(f"{name} is busy: wait for the run or scan to end.", title=name)
            return
        if not view.ready:
            problem = view.state.problem if view.state else ""
            self.notify(f"{plain(problem)}\nPress l to log in.", title=f"{name} is not connected")
            return
        chosen = view.choose(RUN_ACTIONS[kind])
        if not chosen.items:
            sentence = f"{NOTHING_TO_DO[kind]} on {name}."
            if chosen.from_selection:
                sentence = (
                    f"{NOTHING_TO_DO[kind]} among the "
                    f"{count_of(len(view.selected), 'selected photo')} "
                    "(ctrl+a twice or space unselects; then the key acts on the whole bucket)."
                )
            view.run_panel.status(sentence)
            view.run_panel.log_line(sentence)
            self.notify(sentence, title=name)
            return
        deletes = [item for item in chosen.items if item.action is Action.DELETE]
        if not deletes:
            self.ask_repost(view, kind, chosen.items)
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.ask_repost(view, kind, chosen.items)
            else:
                view.run_panel.log_line("Delete cancelled: nothing was deleted.")
                view.run_panel.status("Delete cancelled: nothing was deleted.")

        self.app.push_screen(ConfirmDeleteScreen(name, deletes), confirmed)

    def ask_repost(self, view: PlatformView, kind: str, items: list[PlanItem]) -> None:
        """Changed files the platform cannot replace are reposted only when confirmed."""
        limits = view.state.limits if view.state is not None else None
        reposts = [item for item in items if asks_repost(item, limits)]
        if not reposts:
            self.start_run(view, kind, items)
            return

        def confirmed(yes: bool | None) -> None:
            if not yes:
                view.run_panel.log_line("Repost declined: the old posts and images stay.")
            self.start_run(view, kind, items, repost=bool(yes))

        self.app.push_screen(ConfirmRepostScreen(view.platform, reposts), confirmed)

    def _wait_for_plan(self, view: PlatformView, kind: str) -> None:
        """A run key while the tab shows its last plan: it acts on the plan made now."""
        name = view.platform
        self.waiting_runs[name] = kind
        shown = "being planned" if view.snapshot and view.snapshot.provisional else "the last plan"
        sentence = (
            f"Waiting for the refreshed plan: {kind} runs on it as soon as it is in "
            f"(the rows shown are {shown})"
        )
        view.run_panel.log_line(sentence, "yellow")
        self.notify(sentence, title=name)

    def start_run(
        self, view: PlatformView, kind: str, items: list[PlanItem], repost: bool = False
    ) -> None:
        name = view.platform
        switch = self.backend.new_cancel_event()
        self.cancels[name] = switch
        self.busy.add(name)
        view.begin_run(kind, items)
        self.refresh_bindings()
        self._for_platform(self.run_platform(name, items, switch, repost), name)

    @work(group="run", exit_on_error=False)
    async def run_platform(
        self, name: str, items: Iterable[PlanItem], switch: CancelSwitch, repost: bool = False
    ) -> None:
        def emit(event: Event) -> None:
            self.post_message(RunEvent(event))

        try:
            summary = await self.backend.run(name, items, emit, switch, repost)
        except SETUP_ERRORS as error:  # the tab shows why the run stopped
            self.post_message(RunEnded(name, None, _problem_text(error, name)))
        else:
            self.post_message(RunEnded(name, summary))
        try:
            # No progress here: the run panel keeps saying how the run went.
            state = await self.backend.rescan(name)
        except SETUP_ERRORS as error:  # shown on the tab
            self.post_message(PlatformScanFailed(name, _problem_text(error, name)))
            return
        self.post_message(PlatformReady(state, rescanned=True))

    @on(RunEvent)
    def _run_event(self, message: RunEvent) -> None:
        view = self.view_of(message.event.platform)
        if view is not None:
            view.apply_event(message.event)

    @on(RunEnded)
    def _run_ended(self, message: RunEnded) -> None:
        self.cancels.pop(message.platform, None)
        view = self.view_of(message.platform)
        if view is not None:
            sentence = view.end_run(message.summary, message.problem)
            failed = message.summary is None or message.summary.failed > 0
            self.notify(
                sentence,
                title=message.platform,
                severity="error" if failed else "information",
            )
        self.refresh_bindings()

    # --- quitting --------------------------------------------------------------------

    def request_quit(self) -> None:
        """Quit now, or once the runs have finished the photos in progress."""
        if not self.cancels or self.quit_when_idle:
            self.app.exit()
            return
        self.quit_when_idle = True
        self.action_cancel()
        self.notify(
            "Quitting once the photos in progress are done (q again: quit now).",
            title="Quit",
        )

    def _maybe_quit(self) -> None:
        if self.quit_when_idle and not self.cancels and not self.busy:
            self.app.exit()


def _problem_text(error: BaseException, platform: str) -> str:
    """An expected error (IMatch gone, the state folder...) in one line, with its remedy."""
    return plain(problem_of(error, platform).line())
