"""The Mastodon simulator: Mastodon's REST API for photo posts over real HTTP.

`MastodonSimulator` is a `MastodonApiSimulator` (the core it shares with the pixelfed
simulator, `sandbox/mastodon_api/`): `sim.state` (a `MastodonState`), `sim.settings` (a
`MastodonSettings`), the fault knobs `sim.knobs` and the request log `sim.log`;
`sim.asgi_app` is the app behind rack-attack's throttles, wrapped in `FaultMiddleware`.
Serve it with `sandbox.serving.serve_in_thread(sim.asgi_app)`.

The pieces: this module is the server (Doorkeeper tokens and `Api::BaseController`'s
login checks, the background jobs, Rails' routing errors); the endpoints are in
`mastodon_methods.py`, the JSON they answer in `mastodon_entities.py`, rate limits in
`mastodon_rate_limits.py`, parameter parsing in `mastodon_requests.py`, error answers in
`mastodon_errors.py`, text rules in `mastodon_text.py`, switches and records in
`mastodon_state.py`.

Mastodon behaviour reproduced (sources in `sandbox/FIDELITY.md`):
- Doorkeeper tokens and scopes (401 with WWW-Authenticate, 403 outside the scopes) and
  the login checks of `Api::BaseController` (unconfirmed, pending, disabled accounts);
- instance documents v2 and v1 with the server's limits;
- media upload v2 (200 when processed at once, 202 with `url: null` otherwise), v1,
  GET/PUT of the caller's unattached media only (206 while processing, 422 when
  processing failed), DELETE of unattached media;
- status create with `Idempotency-Key` (a repeat within an hour returns the first
  status), media validation (own, unattached, processed, at most four), text length
  counted the Mastodon way, `direct` visibility, silenced accounts;
- status edit (`UpdateStatusService`): text, content warning, sensitivity and the media
  list are set from what is sent, alt text through `media_attributes`, an unchanged
  edit is no edit; `/source`; delete (invisible at once, media released for a redraft
  or destroyed with `delete_media`), the account's statuses with `min_id` paging;
- rate limits: rack-attack's throttles (per token, per account, uploads, deletions,
  paging) with `X-RateLimit-*` headers, and the statuses family (300 per 3 hours).
Time comes from an injectable clock; `sim.advance(seconds)` moves it forward.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, ClassVar

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from sandbox.faults import ASGIApp, FaultKnobs
from sandbox.mastodon_api.answers import error_answer
from sandbox.mastodon_api.requests import digest
from sandbox.mastodon_api.server import MastodonApiSimulator, RouteSpec
from sandbox.mastodon_errors import OUTSIDE_SCOPES, forbidden, invalid_token
from sandbox.mastodon_methods import MastodonMethods
from sandbox.mastodon_rate_limits import MastodonRateLimits, RackAttack
from sandbox.mastodon_requests import read_params
from sandbox.mastodon_state import (
    AccessToken,
    Account,
    MastodonSettings,
    MastodonState,
    Media,
    SnowflakeIds,
    Status,
)

__all__ = ["MastodonSettings", "MastodonSimulator", "MastodonState"]

DEFAULT_SCOPES = ("read", "write", "follow")


class MastodonSimulator(MastodonApiSimulator[Account, AccessToken, Media, Status]):
    """An in-memory Mastodon server. Tests read `state`, flip `settings` and `knobs`."""

    DEFAULT_TOKEN_SCOPES: ClassVar[tuple[str, ...]] = DEFAULT_SCOPES
    state: MastodonState
    methods: MastodonMethods

    def __init__(
        self,
        settings: MastodonSettings | None = None,
        knobs: FaultKnobs | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        super().__init__(MastodonState(), knobs, clock)
        self.settings = settings or MastodonSettings()
        self.methods = MastodonMethods(self)
        self.rate_limits = MastodonRateLimits(self)
        self.ids = SnowflakeIds()
        self._token_ids = itertools.count(1)

    # --- accounts and tokens for tests ------------------------------------------------------

    def create_account(
        self,
        username: str = "alice",
        *,
        display_name: str | None = None,
        confirmed: bool = True,
        approved: bool = True,
        silenced: bool = False,
        default_privacy: str = "public",
    ) -> Account:
        with self.lock:
            account = Account(
                id=self.ids.next(self.now()),
                username=username,
                display_name=display_name or username.title(),
                created_at=self.now(),
                confirmed=confirmed,
                approved=approved,
                silenced=silenced,
                default_privacy=default_privacy,
            )
            self.state.accounts[account.id] = account
            return account

    def create_token(self, account: Account | str, scopes: tuple[str, ...] = DEFAULT_SCOPES) -> str:
        """An access token for `account` (or its id), as "New application" makes one."""
        account_id = account.id if isinstance(account, Account) else account
        with self.lock:
            if account_id not in self.state.accounts:
                raise KeyError(f"no account {account_id}")
            token = secrets.token_urlsafe(32)
            record = AccessToken(
                id=next(self._token_ids),
                digest=digest(token),
                account_id=account_id,
                scopes=frozenset(scopes),
            )
            self.state.tokens[record.digest] = record
            return token

    # --- Doorkeeper and Api::BaseController ---------------------------------------------

    def doorkeeper_authorize(self, request: Request, *scopes: str) -> Account:
        """`doorkeeper_authorize!` then `require_user!`: the acting account, or an error."""
        record = self.bearer_record(dict(request.scope["headers"]))
        if record is None:
            raise invalid_token("The access token is invalid")
        self.check_token(record, scopes)
        return self._require_user(record)

    def authorize_if_got_token(self, request: Request, *scopes: str) -> Account | None:
        """`authorize_if_got_token!`: an unknown token reads as anonymous."""
        record = self.bearer_record(dict(request.scope["headers"]))
        if record is None:
            return None
        self.check_token(record, scopes)
        return self.state.accounts.get(record.account_id)

    def check_token(self, record: AccessToken, scopes: tuple[str, ...]) -> None:
        if record.revoked:
            raise invalid_token("The access token was revoked")
        if record.expires_at is not None and record.expires_at <= self.now():
            raise invalid_token("The access token expired")
        if scopes and not record.scopes & set(scopes):
            raise forbidden(OUTSIDE_SCOPES)

    def _require_user(self, record: AccessToken) -> Account:
        account = self.state.accounts.get(record.account_id)
        if account is None:
            raise error_answer(422, "This method requires an authenticated user")
        if account.suspended:
            raise forbidden("Your login is currently disabled")
        if not account.confirmed:
            raise forbidden("Your login is missing a confirmed e-mail address")
        if not account.approved:
            raise forbidden("Your login is currently pending approval")
        if account.disabled:
            raise forbidden("Your login is currently disabled")
        return account

    # --- background jobs ---------------------------------------------------------------------

    def run_due_jobs(self) -> None:
        """Finish media processing, `RemovalWorker` jobs and the orphaned-media vacuum."""
        with self.lock:
            now = self.now()
            for media in self.state.media.values():
                if media.processing == "queued":  # the check inline: this runs per request
                    self._settle_processing(media, now)
            for status in self.state.statuses.values():
                if (
                    status.removal_due is not None
                    and not status.removed
                    and now >= status.removal_due
                ):
                    self.remove(status)
            ttl = self.settings.orphan_media_seconds
            self.vacuum_media(lambda media: now - media.created_at >= ttl)

    def _settle_processing(self, media: Media, now: float) -> None:
        if media.processing == "queued" and now >= media.ready_at:
            failing = media.sha256 in self.settings.failing_media_sha256
            media.processing = "failed" if failing else "complete"

    def remove(self, status: Status) -> None:
        """`RemovalWorker`: the record is destroyed; its media are released (`dependent:
        :nullify`) for a redraft, or destroyed with it."""
        status.removed = True
        for media in [m for m in self.state.media.values() if m.status_id == status.id]:
            if status.redraft:
                media.status_id = None
            else:
                self.destroy_media(media.id)

    # --- the app -----------------------------------------------------------------------------

    def extra_routes(self) -> list[RouteSpec]:
        return self.methods.mastodon_routes()

    async def read_params(self, request: Request) -> dict[str, Any]:
        return await read_params(request)

    def before_handling(self) -> None:
        self.run_due_jobs()

    async def render_routing_error(self, request: Request, exc: Exception) -> Response:
        """Unknown routes end in `raise_not_found`: JSON for API clients, HTML otherwise."""
        assert isinstance(exc, HTTPException)
        phrase = HTTPStatus(exc.status_code).phrase
        if "json" in request.headers.get("accept", ""):
            return JSONResponse({"error": phrase}, exc.status_code)
        return HTMLResponse(f"<html><body><h1>{phrase}</h1></body></html>", exc.status_code)

    def front_layer(self, app: ASGIApp) -> ASGIApp:
        return RackAttack(self.rate_limits, app)

    def fault_error_body(self, status: int) -> Any:
        return {"error": HTTPStatus(status).phrase}
