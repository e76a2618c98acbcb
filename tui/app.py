"""The Textual app: `run_tui()` starts it against the configured IMatch.

The app owns the session thread (`tui.backend`) and the main screen; everything else
lives in `tui.screens` and `tui.widgets`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.notifications import SeverityLevel
from textual.widget import Widget

from tui.backend import SessionFactory, SessionThread, default_session
from tui.commands import SocialsCommands
from tui.keys import APP_BINDINGS, HELP_GROUPS
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from tui.widgets.calm_loading import CalmLoadingIndicator


class SocialsApp(App[int]):
    """imatch-socials: publish IMatch photos to the platforms, keep them in step."""

    TITLE = "imatch-socials"
    CSS_PATH = "app.tcss"
    COMMANDS = App.COMMANDS | {SocialsCommands}
    BINDING_GROUP_TITLE = "App"
    BINDINGS: ClassVar[list[BindingType]] = [
        *APP_BINDINGS,
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, id="quit-now"),
    ]

    def __init__(
        self,
        session_factory: SessionFactory = default_session,
        *,
        clock: Callable[[], datetime] = datetime.now,
        imatch_label: str | None = None,
    ) -> None:
        """`imatch_label` replaces the IMatch address in the header (tests use it)."""
        super().__init__()
        self.backend = SessionThread(session_factory)
        self.clock = clock
        self.imatch_label = imatch_label

    def get_loading_widget(self) -> Widget:
        """The spinner of a widget whose `loading` is set (the photo table while it is
        planned): the calm one, so reading IMatch is not slowed by its redraws."""
        return CalmLoadingIndicator()

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Notifications carry titles, file names and servers' words: always as written
        (no caller here uses markup; a `[/]` in a title would otherwise break the toast)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def get_default_screen(self) -> MainScreen:
        return MainScreen(self.backend, self.clock, self.imatch_label)

    @property
    def main_screen(self) -> MainScreen:
        screen = self.screen_stack[0]
        assert isinstance(screen, MainScreen)
        return screen

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.pop_screen()
            return
        self.push_screen(HelpScreen(HELP_GROUPS))

    async def action_quit(self) -> None:
        self.main_screen.request_quit()

    def on_unmount(self) -> None:
        self.backend.stop()


def run_tui() -> int:
    """Run the app in this terminal; the exit code (0 unless the app failed)."""
    app = SocialsApp()
    result = app.run()
    if app.return_code:
        return app.return_code
    return result or 0
