"""Logging in from the app: the platform's login flow from the registry, shown step by step.

A token check answers at once; an out-of-band login shows the address to approve, then
asks for the code shown there. The flow runs on the session's thread (its blocking calls
in worker threads of their own); results come back as messages only.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from sync.plain_words import plain
from sync.platforms import registry
from sync.platforms.registry import LoginFlow, LoginStep
from sync.session import SyncSession
from tui.backend import SessionThread


class LoginScreen(ModalScreen[bool]):
    """Dismisses with True when the platform can now be used."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", tooltip="Close without logging in.", id="login-close")
    ]

    class Progress(Message):
        """A login step finished: `url` to approve, or the final outcome."""

        def __init__(self, text: str, *, url: str = "", ok: bool | None = None) -> None:
            super().__init__()
            self.text = text
            self.url = url
            self.ok = ok

    def __init__(self, platform: str, backend: SessionThread) -> None:
        super().__init__()
        self.platform = platform
        self.backend = backend
        self.flow: LoginFlow | None = None
        self.succeeded = False

    @property
    def session(self) -> SyncSession:
        assert self.backend.session is not None
        return self.backend.session

    def _flow(self) -> LoginFlow:
        if self.flow is None:
            session = self.session
            self.flow = registry.spec(self.platform).login(
                session.settings, session.credentials.of(self.platform), session.store
            )
        return self.flow

    def compose(self) -> ComposeResult:
        flow = self._flow()
        with Vertical(id="login-dialog"):
            yield Label(flow.title, id="login-title")
            yield Static("Asking the platform…", id="login-status", markup=False)
            yield Static("", id="login-url", markup=False)
            yield Input(placeholder=flow.code_prompt, id="login-code")
            with Horizontal(id="login-buttons"):
                yield Button("Log in", id="login-submit", variant="primary")
                yield Button("Close", id="login-cancel")

    def on_mount(self) -> None:
        self.query_one("#login-code", Input).display = False
        self.query_one("#login-submit", Button).display = False
        self.start_login()

    @work(exclusive=True, group="login", exit_on_error=False)
    async def start_login(self) -> None:
        self._said(await self.backend.submit(self._flow().start()))

    @work(exclusive=True, group="login", exit_on_error=False)
    async def finish_login(self, code: str) -> None:
        self._said(await self.backend.submit(self._flow().finish(code)))

    def _said(self, step: LoginStep) -> None:
        self.post_message(self.Progress(step.text, url=step.url, ok=step.ok))

    # --- showing progress ------------------------------------------------------------

    @on(Progress)
    def _progress(self, message: Progress) -> None:
        status = self.query_one("#login-status", Static)
        style = {True: "bold green", False: "bold red", None: ""}[message.ok]
        status.update(Text(plain(message.text), style=style))
        if message.url:
            self.query_one("#login-url", Static).update(Text(message.url, style="bold underline"))
            code = self.query_one("#login-code", Input)
            code.display = True
            self.query_one("#login-submit", Button).display = True
            code.focus()
        if message.ok:
            self.succeeded = True
            self.query_one("#login-code", Input).display = False
            self.query_one("#login-submit", Button).display = False
            cancel = self.query_one("#login-cancel", Button)
            cancel.label = "Continue"
            cancel.focus()

    def _submit(self) -> None:
        code = self.query_one("#login-code", Input).value.strip()
        if not code:
            self.query_one("#login-status", Static).update(
                Text("Type the code shown after approving first.", style="bold red")
            )
            return
        self.query_one("#login-status", Static).update("Checking the code…")
        self.finish_login(code)

    @on(Input.Submitted, "#login-code")
    def _code_submitted(self) -> None:
        self._submit()

    @on(Button.Pressed, "#login-submit")
    def _submit_pressed(self) -> None:
        self._submit()

    @on(Button.Pressed, "#login-cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(self.succeeded)

    def action_close(self) -> None:
        self.dismiss(self.succeeded)
