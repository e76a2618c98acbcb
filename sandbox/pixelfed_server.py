"""The pixelfed simulator: pixelfed's Mastodon-compatible API (reference platform-apis.md C)
over real HTTP, with pixelfed's quirks behind switches.

`PixelfedSimulator` is a `MastodonApiSimulator` (the core it shares with the Mastodon
simulator, `sandbox/mastodon_api/`): `sim.state` (a `PixelfedState`), `sim.settings` (a
`PixelfedSettings`), the fault knobs `sim.knobs` and the request log `sim.log`;
`sim.asgi_app` is the app behind the web server layer, wrapped in `FaultMiddleware`.
Serve it with `sandbox.serving.serve_in_thread(sim.asgi_app)`.

The pieces: this module is the server (Passport tokens, pixelfed's error handler, its
queued jobs, the web server in front, OAuth and page routes); the endpoints are in
`pixelfed_methods.py` and `pixelfed_oauth.py`, the JSON they answer in
`pixelfed_entities.py`, request parsing and validation in `pixelfed_requests.py`, error
kinds in `pixelfed_errors.py`, text rules in `pixelfed_text.py`, switches and records in
`pixelfed_state.py`.

Pixelfed behaviour reproduced by default (each with its switch in `PixelfedSettings`):
- C2 error mapping: with `Accept: application/json` validation, auth and `findOrFail`
  errors are answered 500; without it, redirects and HTML pages (`error_quirk`);
- C7 Idempotency-Key: a repeat within an hour answers 400 "Duplicate idempotency key."
  and the key is consumed once validation passed, even if the creation then fails;
- C7 captions of new posts go through PHP's `strip_tags` (an unmatched `<3` cuts the rest);
  a media id that is attached, missing or someone else's answers 400 "Invalid media_ids";
- C8 edits: an omitted or empty `status` clears the caption (and then `media_ids` is
  required), the caption is HTML-purified, `media_ids` only removes/reorders media of
  albums, an edit cap of about nine edits; a post the caller may not edit answers 500
  "This action is unauthorized."; the answer is empty for unlisted and private posts;
- C6 alt text is changed with PUT /api/v1/media/{id} and HTML-purified (`&` comes back as
  `&amp;`); multipart PUT bodies are not parsed;
- C5/C9 2 h garbage collection of unattached media, asynchronous deletes, 24 h caps.
Time comes from an injectable clock; `sim.advance(seconds)` moves it forward.
"""

from __future__ import annotations

import itertools
import math
import secrets
from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from sandbox.faults import ASGIApp, FaultKnobs, Receive, Scope, Send
from sandbox.mastodon_api.requests import digest
from sandbox.mastodon_api.server import (
    MUTATING_METHODS,
    ExceptionHandler,
    MastodonApiSimulator,
    RouteSpec,
)
from sandbox.pixelfed_errors import (
    Abort,
    EmailNotVerified,
    PixelfedError,
    Unauthenticated,
    html_error,
    render_error,
)
from sandbox.pixelfed_methods import PixelfedMethods
from sandbox.pixelfed_oauth import PixelfedOAuth
from sandbox.pixelfed_requests import read_params
from sandbox.pixelfed_state import (
    DAY,
    AccessToken,
    Account,
    Media,
    PixelfedSettings,
    PixelfedState,
    Status,
)

__all__ = ["PixelfedSettings", "PixelfedSimulator", "PixelfedState"]


class PixelfedSimulator(MastodonApiSimulator[Account, AccessToken, Media, Status]):
    """An in-memory pixelfed instance. Tests read `state`, flip `settings` and `knobs`."""

    state: PixelfedState
    methods: PixelfedMethods

    def __init__(
        self,
        settings: PixelfedSettings | None = None,
        knobs: FaultKnobs | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(PixelfedState(), knobs, clock)
        self.settings = settings or PixelfedSettings()
        self.signed_in_account_id: str | None = None
        """Who approves GET /oauth/authorize; None = the first account."""
        self.methods = PixelfedMethods(self)
        self.oauth = PixelfedOAuth(self)
        self._account_ids = itertools.count(700_000_000_000_000_001)
        self._status_ids = itertools.count(710_000_000_000_000_001)
        self._media_ids = itertools.count(101)
        self._write_window: tuple[float, int] | None = None

    # --- accounts and tokens for tests ------------------------------------------------------

    def create_account(
        self,
        username: str = "alice",
        *,
        display_name: str | None = None,
        active: bool = True,
        email_verified: bool = True,
        is_private: bool = False,
        is_unlisted: bool = False,
    ) -> Account:
        """A new account; `active=False` leaves `last_active_at` None (C1 `[]` answers)."""
        with self.lock:
            now = self.now()
            account = Account(
                id=str(next(self._account_ids)),
                username=username,
                display_name=display_name or username.title(),
                created_at=now,
                email_verified=email_verified,
                last_active_at=now if active else None,
                is_private=is_private,
                is_unlisted=is_unlisted,
            )
            self.state.accounts[account.id] = account
            return account

    def create_token(
        self,
        account: Account | str,
        scopes: tuple[str, ...] = ("read", "write"),
        lifetime_seconds: float | None = None,
    ) -> str:
        """A personal access token for `account` (or its id); returns the bearer token."""
        account_id = account.id if isinstance(account, Account) else account
        with self.lock:
            if account_id not in self.state.accounts:
                raise KeyError(f"no account {account_id}")
            lifetime = lifetime_seconds or self.settings.token_days * DAY
            token, _ = self.issue_access_token(account_id, frozenset(scopes), lifetime, None)
            return token

    def issue_access_token(
        self, account_id: str, scopes: frozenset[str], lifetime: float, client_id: str | None
    ) -> tuple[str, AccessToken]:
        """A new Passport token and its record."""
        # Passport issues JWTs of about a kilobyte; the length matters to header handling.
        token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + secrets.token_urlsafe(400)
        record = AccessToken(
            digest=digest(token),
            account_id=account_id,
            scopes=scopes,
            expires_at=self.now() + lifetime,
            client_id=client_id,
        )
        self.state.tokens[record.digest] = record
        return token, record

    def authenticate(self, request: Request, scope: str | None) -> Account:
        """The caller's account; raises the way Passport and pixelfed do (C1, C2)."""
        record = self.bearer_record(dict(request.scope["headers"]))
        if record is None or record.revoked or record.expires_at <= self.now():
            raise Unauthenticated()
        account = self.state.accounts.get(record.account_id)
        if account is None:
            raise Unauthenticated()
        if not account.email_verified and self.settings.enforce_email_verification:
            raise EmailNotVerified()
        if scope is not None and scope not in record.scopes:
            raise Abort(403)
        return account

    def next_status_id(self) -> str:
        return str(next(self._status_ids))

    def next_media_id(self) -> str:
        return str(next(self._media_ids))

    # --- queued jobs: deletions and media garbage collection (C5, C9) ---------------------

    def run_due_jobs(self) -> None:
        """Run the queued jobs that are due: status deletions and media GC (C5, C9)."""
        with self.lock:
            now = self.now()
            for status in self.state.statuses.values():
                if self.deletion_due(status, now):
                    self.purge(status)
            self.vacuum_media(lambda media: self._media_expired(media, now))

    def collect_garbage(self) -> None:
        """pixelfed's name for `run_due_jobs`."""
        self.run_due_jobs()

    def readable_status(self, status_id: str) -> Status | None:
        status = self.state.statuses.get(status_id)
        return status if status is not None and self.is_readable(status) else None

    def is_readable(self, status: Status) -> bool:
        """Not deleted, or deleted but the queued deletion job has not run yet (C9)."""
        return not status.deleted or not self.deletion_due(status, self.now())

    def deletion_due(self, status: Status, now: float) -> bool:
        if status.purged:
            return True
        if status.deleted_at is None:
            return False
        return now >= status.deleted_at + self.settings.async_delete_seconds

    def purge(self, status: Status) -> None:
        """The deletion job: the status and its media files are gone."""
        if status.purged:
            return
        status.purged = True
        for media_id in status.media_ids:
            self.destroy_media(media_id)

    def _media_expired(self, media: Media, now: float) -> bool:
        if media.delete_at is not None and now >= media.delete_at:
            return True
        return self.settings.media_gc and now - media.created_at >= (
            self.settings.media_gc_age_seconds
        )

    # --- the app: routes beyond the shared ones, parameters, errors (C2) -------------------

    def extra_routes(self) -> list[RouteSpec]:
        return [
            *self.oauth.routes(),
            ("/", "GET", self._landing_page),
            ("/login", "GET", self._login_page),
            ("/i/verify-email", "GET", self._verify_email_page),
        ]

    async def read_params(self, request: Request) -> dict[str, Any]:
        return await read_params(request, self.settings.php_ignores_multipart_put)

    def exception_handlers(self) -> dict[Any, ExceptionHandler]:
        return {PixelfedError: self._render_error}

    async def _render_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, PixelfedError)
        return render_error(request, exc, self.settings.error_quirk)

    async def render_routing_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            message = f"The route {request.url.path.lstrip('/')} could not be found."
        else:
            message = f"The {request.method} method is not supported for this route."
        return render_error(request, Abort(exc.status_code, message), self.settings.error_quirk)

    def _landing_page(self, request: Request, params: dict[str, Any]) -> Response:
        """`/`: where a failed form (validation without a JSON Accept) is sent back to."""
        return HTMLResponse(
            f"<!DOCTYPE html><html><head><title>{self.settings.instance_title}</title></head>"
            "<body><h1>Pixelfed</h1><p>Photo Sharing. For Everyone.</p></body></html>"
        )

    def _login_page(self, request: Request, params: dict[str, Any]) -> Response:
        return HTMLResponse("<!DOCTYPE html><html><body><h1>Login</h1></body></html>")

    def _verify_email_page(self, request: Request, params: dict[str, Any]) -> Response:
        return HTMLResponse("<!DOCTYPE html><html><body><h1>Verify email</h1></body></html>")

    # --- the web server in front: body limit, proxy rate limit, due jobs -------------------

    def front_layer(self, app: ASGIApp) -> ASGIApp:
        return _WebServerLayer(self, app)

    def front_door(self, scope: Scope) -> Response | None:
        """An answer given before pixelfed sees the request, or None to pass it on."""
        with self.lock:
            self.run_due_jobs()
            headers = dict(scope.get("headers", []))
            limit_kb = self.settings.web_server_body_limit_kb
            length = headers.get(b"content-length", b"0")
            if limit_kb is not None and length.isdigit() and int(length) > limit_kb * 1024:
                return html_error(413, "Request Entity Too Large")
            if scope["method"] in MUTATING_METHODS:
                return self._count_write()
            return None

    def _count_write(self) -> Response | None:
        limit = self.settings.rate_limit_writes
        if limit is None:
            return None
        now = self.now()
        window = self.settings.rate_limit_window_seconds
        start, writes = self._write_window or (now, 0)
        if now - start >= window:
            start, writes = now, 0
        if writes >= limit:
            retry_after = max(1, math.ceil(start + window - now))
            return Response("Too Many Requests", 429, headers={"Retry-After": str(retry_after)})
        self._write_window = (start, writes + 1)
        return None


class _WebServerLayer:
    """What sits in front of pixelfed: nginx's body limit, a proxy's 429s, due jobs."""

    def __init__(self, sim: PixelfedSimulator, app: ASGIApp) -> None:
        self.sim = sim
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            answer = self.sim.front_door(scope)
            if answer is not None:
                await answer(scope, receive, send)
                return
        await self.app(scope, receive, send)
