"""Logging in from the app: flickr's out-of-band OAuth, or checking the pixelfed token.

flickr: `FlickrLogin.start()` and `finish(code)` block on the network, so they run in
thread workers; the address to approve is shown, the user types the code flickr shows,
and the token is saved with `save_token`. pixelfed: `check_login` with the token from
IMatch's application variables. Workers report through messages only.
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

from sync.connect import flickr_endpoints
from sync.plain_words import plain
from sync.platforms.base import PlatformError, TransientError
from sync.platforms.flickr.login import FlickrLogin, save_token
from sync.platforms.pixelfed.platform import check_login
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
        self.flickr: FlickrLogin | None = None
        self.succeeded = False

    @property
    def session(self) -> SyncSession:
        assert self.backend.session is not None
        return self.backend.session

    def compose(self) -> ComposeResult:
        title = "Log in to flickr" if self.platform == "flickr" else "Check the pixelfed token"
        with Vertical(id="login-dialog"):
            yield Label(title, id="login-title")
            yield Static("Asking the platform…", id="login-status")
            yield Static("", id="login-url")
            yield Input(placeholder="Code shown by flickr, like 123-456-789", id="login-code")
            with Horizontal(id="login-buttons"):
                yield Button("Log in", id="login-submit", variant="primary")
                yield Button("Close", id="login-cancel")

    def on_mount(self) -> None:
        self.query_one("#login-code", Input).display = False
        self.query_one("#login-submit", Button).display = False
        if self.platform == "flickr":
            self.start_flickr()
        else:
            self.check_pixelfed()

    # --- flickr --------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="login", exit_on_error=False)
    def start_flickr(self) -> None:
        credentials = self.session.credentials
        if not credentials.flickr_api_key or not credentials.flickr_api_secret:
            self.post_message(
                self.Progress(
                    "flickr needs an API key and secret first: set the IMatch application "
                    "variables flickr_api_key and flickr_api_secret, then rescan.",
                    ok=False,
                )
            )
            return
        login = FlickrLogin(
            credentials.flickr_api_key,
            credentials.flickr_api_secret,
            flickr_endpoints(self.session.settings),
        )
        try:
            url = login.start()
        except PlatformError as error:
            self.post_message(
                self.Progress(f"flickr refused to start the login: {error}", ok=False)
            )
            return
        self.flickr = login
        self.post_message(
            self.Progress(
                "1. Open this address in a browser and approve imatch-socials.\n"
                "2. Type the code flickr shows below and press enter.",
                url=url,
            )
        )

    @work(thread=True, exclusive=True, group="login", exit_on_error=False)
    def finish_flickr(self, code: str) -> None:
        assert self.flickr is not None
        try:
            token = self.flickr.finish(code)
        except PlatformError as error:
            self.post_message(self.Progress(f"{error}", ok=False))
            return
        save_token(self.session.store, self.session.credentials.flickr_api_key, token)
        self.post_message(
            self.Progress(f"Logged in to flickr as {token.username} ({token.perms}).", ok=True)
        )

    # --- pixelfed ------------------------------------------------------------------

    @work(exclusive=True, group="login", exit_on_error=False)
    async def check_pixelfed(self) -> None:
        credentials = self.session.credentials
        try:
            account = await self.backend.submit(
                check_login(credentials.pixelfed_url, credentials.pixelfed_token)
            )
        except TransientError as error:
            self.post_message(self.Progress(f"Could not check the token: {error}", ok=False))
            return
        except (PlatformError, ValueError) as error:
            self.post_message(self.Progress(f"pixelfed refused the token: {error}", ok=False))
            return
        where = account.url or credentials.pixelfed_url
        self.post_message(self.Progress(f"The token works for {account.name} ({where}).", ok=True))

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
                Text("Type the code flickr shows first.", style="bold red")
            )
            return
        self.query_one("#login-status", Static).update("Checking the code…")
        self.finish_flickr(code)

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
