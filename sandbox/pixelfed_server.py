"""The pixelfed simulator: pixelfed's Mastodon-compatible API (reference platform-apis.md C)
over real HTTP, with pixelfed's quirks behind switches.

`PixelfedSimulator` owns the in-memory state (`sim.state`), the switches
(`sim.settings`, a `PixelfedSettings`), the fault knobs (`sim.knobs`) and the request log
(`sim.log`); `sim.asgi_app` is the Starlette app wrapped in `FaultMiddleware`. Serve it with
`sandbox.serving.serve_in_thread(sim.asgi_app)`.

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

import hashlib
import itertools
import math
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sandbox.faults import (
    REDACTED,
    ASGIApp,
    FaultKnobs,
    FaultMiddleware,
    Receive,
    RequestLog,
    Scope,
    Send,
    add_params,
    drop_answer,
)
from sandbox.pixelfed_model import (
    DAY,
    DEFAULT_SCOPES,
    KNOWN_SCOPES,
    OOB_REDIRECT,
    VERSION,
    VISIBILITIES,
    Abort,
    AccessToken,
    Account,
    AuthCode,
    EmailNotVerified,
    JsonAnswer,
    Media,
    ModelNotFound,
    OAuthApp,
    PixelfedError,
    PixelfedSettings,
    PixelfedState,
    RefreshToken,
    Status,
    Unauthenticated,
    Unauthorized,
    UploadedFile,
    ValidationFailed,
    Validator,
    collect_params,
    image_size,
    parse_body,
    parse_bool,
    sniff_mime,
)
from sandbox.pixelfed_text import extract_tags, php_strip_tags, purify, render_caption

__all__ = ["PixelfedSettings", "PixelfedSimulator", "PixelfedState"]

Handler = Callable[[Request, dict[str, Any]], Response]
LOGGED_SECRETS = frozenset({"code", "refresh_token", "client_secret", "access_token"})
MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WRITE_SCOPE = "write"
READ_SCOPE = "read"
DEFAULT_PAGE = 20
MAX_PAGE = 40
MEDIA_UPDATE_DECAY_SECONDS = 60.0
REPLACED_MEDIA_DELAY_SECONDS = 900.0
BLURHASH = "U4Rfzg~q00009F00IU-;00%M%M%M00%M%M00"
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif"}
INVALID_GRANT = (
    "The provided authorization grant (e.g., authorization code, resource owner "
    "credentials) or refresh token is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client."
)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def iso_time(timestamp: float) -> str:
    """RFC 3339 with milliseconds and `Z`, as pixelfed writes `created_at`."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def wants_json(request: Request) -> bool:
    """Laravel's `wantsJson()`: the Accept header names a JSON type."""
    accept = request.headers.get("accept", "").lower()
    return "/json" in accept or "+json" in accept


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


class PixelfedSimulator:
    """An in-memory pixelfed instance. Tests read `state`, flip `settings` and `knobs`."""

    def __init__(
        self,
        settings: PixelfedSettings | None = None,
        knobs: FaultKnobs | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings or PixelfedSettings()
        self.knobs = knobs or FaultKnobs()
        self.log = RequestLog()
        self.state = PixelfedState()
        self.signed_in_account_id: str | None = None
        """Who approves GET /oauth/authorize; None = the first account."""
        self._clock = clock or time.time
        self._offset = 0.0
        self._lock = threading.RLock()
        self._account_ids = itertools.count(700_000_000_000_000_001)
        self._status_ids = itertools.count(710_000_000_000_000_001)
        self._media_ids = itertools.count(101)
        self._app_ids = itertools.count(1)
        self._v1_instance_cache: tuple[float, dict[str, Any]] | None = None
        self._v2_instance_cache: tuple[float, dict[str, Any]] | None = None
        self._write_window: tuple[float, int] | None = None
        self._media_update_windows: dict[str, tuple[float, int]] = {}
        self._asgi_app: ASGIApp | None = None

    # --- clock and convenience methods for tests ------------------------------------------

    def now(self) -> float:
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward (token expiry, GC, caps, idempotency window)."""
        with self._lock:
            self._offset += seconds
            self.collect_garbage()

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
        with self._lock:
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
        with self._lock:
            if account_id not in self.state.accounts:
                raise KeyError(f"no account {account_id}")
            lifetime = lifetime_seconds or self.settings.token_days * DAY
            token, _ = self._new_access_token(account_id, frozenset(scopes), lifetime, None)
            return token

    def create_account_with_token(
        self, username: str = "alice", scopes: tuple[str, ...] = ("read", "write")
    ) -> tuple[Account, str]:
        account = self.create_account(username)
        return account, self.create_token(account, scopes)

    def token_record(self, token: str) -> AccessToken | None:
        return self.state.tokens.get(digest(token))

    def revoke_token(self, token: str) -> None:
        with self._lock:
            record = self.state.tokens.get(digest(token))
            if record is not None:
                record.revoked = True

    def statuses_of(self, account_id: str, include_deleted: bool = False) -> list[Status]:
        """The account's statuses, newest first."""
        with self._lock:
            statuses = [
                s
                for s in self.state.statuses.values()
                if s.account_id == account_id and (include_deleted or not s.deleted)
            ]
            return sorted(statuses, key=lambda s: int(s.id), reverse=True)

    def status_with_media(self, media_id: str) -> Status | None:
        """The (not deleted) status a media id is attached to, if any."""
        with self._lock:
            for status in self.state.statuses.values():
                if media_id in status.media_ids and not status.deleted:
                    return status
            return None

    def collect_garbage(self) -> None:
        """Run the queued jobs that are due: status deletions and media GC (C5, C9)."""
        with self._lock:
            now = self.now()
            for status in self.state.statuses.values():
                if self._deletion_due(status, now):
                    self._purge(status)
            for media in list(self.state.media.values()):
                if media.status_id is None and self._media_expired(media, now):
                    self._remove_media(media.id)

    # --- the app ----------------------------------------------------------------------------

    @property
    def asgi_app(self) -> ASGIApp:
        """The Starlette app behind the web server layer, wrapped in FaultMiddleware."""
        if self._asgi_app is None:
            front = _WebServerLayer(self, self._build_app())
            self._asgi_app = FaultMiddleware(
                front, self.knobs, self.log, error_body=lambda status: {"error": "Server Error"}
            )
        return self._asgi_app

    def _build_app(self) -> Starlette:
        routes = [
            self._route("/api/v1/apps", self._register_app, "POST"),
            self._route("/oauth/authorize", self._authorize, "GET"),
            self._route("/oauth/token", self._issue_token, "POST"),
            self._route("/api/v1/instance", self._instance_v1, "GET"),
            self._route("/api/v2/instance", self._instance_v2, "GET"),
            self._route("/api/v1/accounts/verify_credentials", self._verify_credentials, "GET"),
            self._route("/api/v1/accounts/{account_id}/statuses", self._list_statuses, "GET"),
            self._route("/api/v1/media", self._upload_v1, "POST"),
            self._route("/api/v2/media", self._upload_v2, "POST"),
            self._route("/api/v1/media/{media_id}", self._get_media, "GET"),
            self._route("/api/v1/media/{media_id}", self._update_media, "PUT"),
            self._route("/api/v1/statuses", self._create_status, "POST"),
            self._route("/api/v1/statuses/{status_id}", self._get_status, "GET"),
            self._route("/api/v1/statuses/{status_id}", self._edit_status, "PUT"),
            self._route("/api/v1/statuses/{status_id}", self._delete_status, "DELETE"),
            self._route("/", self._landing_page, "GET"),
            self._route("/login", self._login_page, "GET"),
            self._route("/i/verify-email", self._verify_email_page, "GET"),
        ]
        return Starlette(
            routes=routes,
            exception_handlers={
                PixelfedError: self._render_error,
                HTTPException: self._render_http_exception,
            },
        )

    def _route(self, path: str, handler: Handler, method: str) -> Route:
        async def endpoint(request: Request) -> Response:
            params = collect_params(parse_qsl(request.url.query, keep_blank_values=True))
            if method in MUTATING_METHODS:
                body = parse_body(
                    request.headers.get("content-type", ""),
                    await request.body(),
                    method,
                    self.settings.php_ignores_multipart_put,
                )
                params.update(body)
                _log_params(request, params)
            with self._lock:
                return handler(request, params)

        return Route(path, endpoint, methods=[method])

    def _after_mutation(self, request: Request) -> None:
        if self.knobs.should_drop():
            drop_answer(request.scope)

    # --- errors (C2) -----------------------------------------------------------------------

    async def _render_error(self, request: Request, exc: Exception) -> Response:
        if isinstance(exc, JsonAnswer):
            return JSONResponse(exc.body, exc.status, headers=exc.headers)
        if isinstance(exc, EmailNotVerified):
            return RedirectResponse(f"{base_url(request)}/i/verify-email", 302)
        if self.settings.error_quirk:
            return self._pixelfed_error(request, exc)
        return _mastodon_error(exc)

    def _pixelfed_error(self, request: Request, exc: Exception) -> Response:
        as_json = wants_json(request)
        if isinstance(exc, ValidationFailed):
            if as_json:
                return JSONResponse({"message": exc.message, "errors": exc.errors}, 500)
            back = request.headers.get("referer", f"{base_url(request)}/")
            return RedirectResponse(back, 302)
        if isinstance(exc, Unauthenticated):
            if as_json:
                return JSONResponse({"error": "Unauthenticated."}, 500)
            return RedirectResponse(f"{base_url(request)}/login", 302)
        if isinstance(exc, ModelNotFound):
            return JSONResponse({"error": str(exc)}, 500) if as_json else _html_error(404, "")
        if isinstance(exc, Unauthorized):
            if as_json:
                return JSONResponse({"error": exc.message}, 500)
            return _html_error(403, exc.message)
        assert isinstance(exc, Abort)
        if as_json:
            return JSONResponse({"error": exc.message}, exc.status)
        return _html_error(exc.status, exc.message)

    async def _render_http_exception(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            message = f"The route {request.url.path.lstrip('/')} could not be found."
        else:
            message = f"The {request.method} method is not supported for this route."
        return await self._render_error(request, Abort(exc.status_code, message))

    # --- auth ------------------------------------------------------------------------------

    def _authenticate(self, request: Request, scope: str | None) -> Account:
        """The caller's account; raises the way Passport and pixelfed do (C1, C2)."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated()
        record = self.state.tokens.get(digest(token))
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

    def _new_access_token(
        self, account_id: str, scopes: frozenset[str], lifetime: float, client_id: str | None
    ) -> tuple[str, AccessToken]:
        # Passport issues JWTs of about a kilobyte; the length matters to header handling.
        token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9." + secrets.token_urlsafe(400)
        record = AccessToken(digest(token), account_id, scopes, self.now() + lifetime, client_id)
        self.state.tokens[record.digest] = record
        return token, record

    # --- OAuth (C1) ------------------------------------------------------------------------

    def _register_app(self, request: Request, params: dict[str, Any]) -> Response:
        if not self.settings.oauth_enabled:
            raise Abort(404)
        check = Validator(params)
        check.required("client_name")
        check.string("client_name", 255)
        check.required("redirect_uris")
        uris = str(params.get("redirect_uris") or "").split()
        if uris and not all(self._redirect_allowed(uri) for uri in uris):
            check.fail("redirect_uris", "One or more redirects have an invalid url format.")
        check.check()
        app = OAuthApp(
            client_id=str(next(self._app_ids)),
            name=str(params["client_name"]),
            redirect_uris=uris,
            client_secret=secrets.token_urlsafe(30),
        )
        self.state.apps[app.client_id] = app
        return JSONResponse(
            {
                "id": app.client_id,
                "name": app.name,
                "website": None,
                "redirect_uri": "\n".join(uris),
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "vapid_key": None,
            }
        )

    def _redirect_allowed(self, uri: str) -> bool:
        if uri == OOB_REDIRECT:
            return self.settings.oob_supported
        scheme, sep, rest = uri.partition("://")
        return bool(sep and rest and scheme.isascii() and scheme[:1].isalpha())

    def _authorize(self, request: Request, params: dict[str, Any]) -> Response:
        app = self.state.apps.get(str(params.get("client_id", "")))
        redirect_uri = str(params.get("redirect_uri", ""))
        if app is None or redirect_uri not in app.redirect_uris:
            raise JsonAnswer(401, _oauth_error("invalid_client", "Client authentication failed"))
        state = params.get("state")
        scopes = frozenset(str(params.get("scope") or " ".join(DEFAULT_SCOPES)).split())
        if params.get("response_type") != "code":
            return _redirect_with(redirect_uri, error="unsupported_response_type", state=state)
        if not scopes <= KNOWN_SCOPES:
            return _redirect_with(redirect_uri, error="invalid_scope", state=state)
        account_id = self.signed_in_account_id or next(iter(self.state.accounts), None)
        if account_id is None:
            return RedirectResponse(f"{base_url(request)}/login", 302)
        if not self.settings.oauth_auto_approve:
            return _redirect_with(redirect_uri, error="access_denied", state=state)
        code = secrets.token_urlsafe(32)
        self.state.auth_codes[digest(code)] = AuthCode(
            app.client_id,
            account_id,
            redirect_uri,
            scopes,
            self.now() + self.settings.auth_code_seconds,
        )
        if redirect_uri == OOB_REDIRECT:
            return HTMLResponse(f"<html><body><p>Authorization code:</p><code>{code}</code>")
        return _redirect_with(redirect_uri, code=code, state=state)

    def _issue_token(self, request: Request, params: dict[str, Any]) -> Response:
        app = self.state.apps.get(str(params.get("client_id", "")))
        secret = str(params.get("client_secret", ""))
        if app is None or not secrets.compare_digest(secret, app.client_secret):
            raise JsonAnswer(401, _oauth_error("invalid_client", "Client authentication failed"))
        grant_type = params.get("grant_type")
        if grant_type == "authorization_code":
            account_id, scopes = self._redeem_code(app, params)
        elif grant_type == "refresh_token":
            account_id, scopes = self._redeem_refresh_token(app, params)
        else:
            raise JsonAnswer(
                400,
                _oauth_error(
                    "unsupported_grant_type",
                    "The authorization grant type is not supported by the authorization server.",
                ),
            )
        lifetime = self.settings.token_days * DAY
        access, record = self._new_access_token(account_id, scopes, lifetime, app.client_id)
        refresh = secrets.token_urlsafe(200)
        self.state.refresh_tokens[digest(refresh)] = RefreshToken(
            digest(refresh),
            record.digest,
            app.client_id,
            self.now() + self.settings.refresh_token_days * DAY,
        )
        self._after_mutation(request)
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": int(lifetime),
                "access_token": access,
                "refresh_token": refresh,
            }
        )

    def _redeem_code(self, app: OAuthApp, params: dict[str, Any]) -> tuple[str, frozenset[str]]:
        grant = self.state.auth_codes.get(digest(str(params.get("code", ""))))
        if (
            grant is None
            or grant.used
            or grant.expires_at <= self.now()
            or grant.client_id != app.client_id
            or grant.redirect_uri != params.get("redirect_uri")
        ):
            raise JsonAnswer(400, _oauth_error("invalid_grant", INVALID_GRANT))
        grant.used = True
        return grant.account_id, grant.scopes

    def _redeem_refresh_token(
        self, app: OAuthApp, params: dict[str, Any]
    ) -> tuple[str, frozenset[str]]:
        old = self.state.refresh_tokens.get(digest(str(params.get("refresh_token", ""))))
        if (
            old is None
            or old.revoked
            or old.expires_at <= self.now()
            or old.client_id != (app.client_id)
        ):
            raise JsonAnswer(400, _oauth_error("invalid_grant", INVALID_GRANT))
        old.revoked = True
        access = self.state.tokens[old.access_digest]
        access.revoked = True
        return access.account_id, access.scopes

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

    # --- instance and account (C3, C4) ------------------------------------------------------

    def _instance_v1(self, request: Request, params: dict[str, Any]) -> Response:
        now = self.now()
        cached = self._v1_instance_cache
        if cached is None or now - cached[0] >= self.settings.v1_instance_cache_seconds:
            cached = (now, self._instance_v1_body(request))
            self._v1_instance_cache = cached
        return JSONResponse(cached[1])

    def _instance_v1_body(self, request: Request) -> dict[str, Any]:
        s = self.settings
        photo_kb = s.v1_max_photo_size_kb or s.max_photo_size_kb
        base = base_url(request)
        return {
            "uri": request.url.netloc,
            "title": s.instance_title,
            "short_description": "A simulated pixelfed instance",
            "description": "A simulated pixelfed instance",
            "email": s.admin_email,
            "version": VERSION,
            "urls": {"streaming_api": None},
            "stats": self._stats(),
            "thumbnail": f"{base}/img/pixelfed-icon-color.png",
            "languages": ["en"],
            "registrations": False,
            "approval_required": False,
            "contact_account": None,
            "rules": [],
            "configuration": {
                "media_attachments": {
                    "image_size_limit": photo_kb * 1024,
                    "video_size_limit": photo_kb * 1024,
                    "supported_mime_types": list(s.media_types),
                    "image_matrix_limit": 16777216,
                    "video_matrix_limit": 2304000,
                    "video_frame_rate_limit": 120,
                },
                "statuses": {
                    "max_characters": s.max_caption_length,
                    "max_media_attachments": s.v1_max_album_length or s.max_album_length,
                    "characters_reserved_per_url": 23,
                },
                "polls": _POLLS,
            },
        }

    def _instance_v2(self, request: Request, params: dict[str, Any]) -> Response:
        if not self.settings.v2_instance:
            raise HTTPException(404)
        now = self.now()
        cached = self._v2_instance_cache
        if cached is None or now - cached[0] >= self.settings.v2_instance_cache_seconds:
            cached = (now, self._instance_v2_body(request))
            self._v2_instance_cache = cached
        return JSONResponse(cached[1])

    def _instance_v2_body(self, request: Request) -> dict[str, Any]:
        s = self.settings
        base = base_url(request)
        thumbnail = f"{base}/img/pixelfed-icon-color.png"
        return {
            "domain": request.url.netloc,
            "title": s.instance_title,
            "version": VERSION,
            "source_url": "https://github.com/pixelfed/pixelfed",
            "description": "A simulated pixelfed instance",
            "usage": {"users": {"active_month": len(self.state.accounts)}},
            "thumbnail": {
                "url": thumbnail,
                "blurhash": None,
                "versions": {"@1x": thumbnail, "@2x": thumbnail},
            },
            "languages": ["en"],
            "configuration": {
                "urls": {"streaming": None, "status": None},
                "vapid": {"public_key": ""},
                "accounts": {"max_featured_tags": 0},
                "statuses": {
                    "max_characters": s.max_caption_length,
                    "max_media_attachments": s.max_album_length,
                    "characters_reserved_per_url": 23,
                },
                "media_attachments": {
                    "supported_mime_types": list(s.media_types),
                    "image_size_limit": s.max_photo_size_kb * 1024,
                    "image_matrix_limit": 3686400,
                    "video_size_limit": s.max_photo_size_kb * 1024,
                    "video_frame_rate_limit": 120,
                    "video_matrix_limit": 3686400,
                },
                "polls": _POLLS,
                "translation": {"enabled": False},
            },
            "registrations": {
                "enabled": False,
                "approval_required": False,
                "message": None,
                "url": None,
            },
            "contact": {"email": s.admin_email, "account": None},
            "rules": [],
        }

    def _stats(self) -> dict[str, int]:
        statuses = sum(1 for s in self.state.statuses.values() if not s.deleted)
        return {"user_count": len(self.state.accounts), "status_count": statuses, "domain_count": 0}

    def _mark_active(self, account: Account) -> None:
        """`AccountService::setLastActive`, which verify_credentials and most v1 calls run:
        an account that never signed in on the web becomes active through the API too."""
        account.last_active_at = self.now()

    def _verify_credentials(self, request: Request, params: dict[str, Any]) -> Response:
        account = self._authenticate(request, READ_SCOPE)
        if account.suspended:
            raise Abort(403)
        self._mark_active(account)
        body = self._account_json(account, base_url(request))
        body["source"] = {
            "privacy": "private" if account.is_private else "public",
            "sensitive": False,
            "language": "en",
            "note": "",
            "fields": [],
        }
        return JSONResponse(body)

    # --- media (C5, C6) ---------------------------------------------------------------------

    def _upload_v1(self, request: Request, params: dict[str, Any]) -> Response:
        media = self._upload(request, params, marks_active=True)
        if media is None:
            return JSONResponse([])
        return JSONResponse(self._media_json(media, base_url(request), processed=False))

    def _upload_v2(self, request: Request, params: dict[str, Any]) -> Response:
        media = self._upload(request, params, marks_active=False)
        if media is None:
            return JSONResponse([])
        body = self._media_json(media, base_url(request), processed=False)
        body["url"] = None
        return JSONResponse(body, 202)

    def _upload(self, request: Request, params: dict[str, Any], marks_active: bool) -> Media | None:
        """Store an upload; None for the `[]` answer to an inactive account (C1).

        v1 marks the account active before it checks, but checks the user it loaded before
        that: the first upload still gets `[]`, the next one works. v2 does not mark it."""
        account = self._authenticate(request, WRITE_SCOPE)
        self._validate_upload(params)
        inactive = account.last_active_at is None
        if marks_active:
            self._mark_active(account)
        if inactive and self.settings.empty_answer_when_inactive:
            return None
        upload: UploadedFile = params["file"]
        self._check_upload_limits(account, upload.data)
        media = Media(
            id=str(next(self._media_ids)),
            account_id=account.id,
            size=len(upload.data),
            sha256=hashlib.sha256(upload.data).hexdigest(),
            mime=sniff_mime(upload.data),
            description=params.get("description") or None,
            created_at=self.now(),
        )
        media.width, media.height = image_size(upload.data) or (None, None)
        self.state.media[media.id] = media
        self._schedule_replacement(account, params.get("replace_id"))
        self._after_mutation(request)
        return media

    def _validate_upload(self, params: dict[str, Any]) -> None:
        s = self.settings
        check = Validator(params)
        upload = params.get("file")
        if upload in (None, ""):
            check.required("file")
        elif not isinstance(upload, UploadedFile):
            check.fail("file", "The file must be a file.")
        else:
            mime = sniff_mime(upload.data) if s.content_sniffing else upload.content_type
            if mime not in s.media_types:
                check.fail("file", f"The file must be a file of type: {', '.join(s.media_types)}.")
            if len(upload.data) / 1024 > s.max_photo_size_kb:
                check.fail(
                    "file", f"The file must not be greater than {s.max_photo_size_kb} kilobytes."
                )
        check.string("description", s.max_alt_text_length)
        check.check()

    def _check_upload_limits(self, account: Account, data: bytes) -> None:
        s = self.settings
        since = self.now() - DAY
        own_media = [m for m in self.state.media.values() if m.account_id == account.id]
        if s.daily_media_cap is not None:
            recent = sum(1 for m in own_media if m.created_at > since)
            if recent >= s.daily_media_cap:
                raise Abort(429)
        if s.max_account_size_kb is not None:
            used = sum(m.size for m in own_media)
            if used + len(data) > s.max_account_size_kb * 1024:
                raise Abort(403, "Account size limit reached.")
        # The second check after validation always looks at the content; with sniffing
        # off, this is where a mislabelled file is caught.
        if sniff_mime(data) not in s.media_types:
            raise Abort(403, "Invalid or unsupported mime type.")
        if hashlib.sha256(data).hexdigest() in s.blocked_sha256:
            raise Abort(451)

    def _schedule_replacement(self, account: Account, replace_id: Any) -> None:
        """v2 `replace_id`: an own unattached media younger than 2 h is deleted in 15 min."""
        old = self.state.media.get(str(replace_id)) if replace_id else None
        if (
            old is not None
            and old.account_id == account.id
            and old.status_id is None
            and self.now() - old.created_at < 2 * 3600
        ):
            old.delete_at = self.now() + REPLACED_MEDIA_DELAY_SECONDS

    def _get_media(self, request: Request, params: dict[str, Any]) -> Response:
        account = self._authenticate(request, READ_SCOPE)
        self._mark_active(account)
        media_id = request.path_params["media_id"]
        media = self.state.media.get(media_id)
        # Only the caller's unattached media can be read (C6).
        if media is None or media.account_id != account.id or media.status_id is not None:
            raise ModelNotFound("Media", media_id)
        return JSONResponse(self._media_json(media, base_url(request)))

    def _update_media(self, request: Request, params: dict[str, Any]) -> Response:
        # A multipart PUT body arrives empty (PHP does not parse it, see parse_body), so
        # `description` is missing and the alt text is overwritten with null (C6, #5014).
        # JSON and urlencoded bodies work. Attached media can be changed too (unlike
        # Mastodon): this is pixelfed's way to edit alt text after publishing.
        # The description is stored as HTML Purifier cleans it: `&`, `<`, `>` escaped, tags
        # other than a/p/span/br removed; a missing one (or "", which Laravel turns into
        # null) is stored as "".
        account = self._authenticate(request, WRITE_SCOPE)
        check = Validator(params)
        check.string("description", self.settings.max_alt_text_length)
        check.check()
        self._mark_active(account)
        media_id = request.path_params["media_id"]
        media = self.state.media.get(media_id)
        if media is None or media.account_id != account.id:
            raise ModelNotFound("Media", media_id)
        self._count_media_update(account)
        media.description = purify(
            params.get("description") or None, self.settings.purifier_collapses_whitespace
        )
        self._after_mutation(request)
        return JSONResponse(self._media_json(media, base_url(request)))

    def _count_media_update(self, account: Account) -> None:
        """Laravel's RateLimiter: N attempts per user in a fixed 60 s window (C2)."""
        limit = self.settings.media_update_per_minute
        if limit is None:
            return
        now = self.now()
        start, attempts = self._media_update_windows.get(account.id, (now, 0))
        if now - start >= MEDIA_UPDATE_DECAY_SECONDS:
            start, attempts = now, 0
        if attempts >= limit:
            raise JsonAnswer(429, {"error": "Too many attempts. Try again in a few minutes."})
        self._media_update_windows[account.id] = (start, attempts + 1)

    # --- statuses (C7, C8, C9) --------------------------------------------------------------

    def _create_status(self, request: Request, params: dict[str, Any]) -> Response:
        account = self._authenticate(request, WRITE_SCOPE)
        self._validate_new_status(params)
        key = self._consume_idempotency_key(request, account)
        media_ids = params.get("media_ids") or []
        reply_to = params.get("in_reply_to_id") or None
        if not media_ids and not reply_to:
            raise Abort(403, "Empty statuses are not allowed")
        if not reply_to:
            self._check_daily_status_cap(account)
        visibility = self._effective_visibility(account, params.get("visibility") or "public")
        if account.last_active_at is None and self.settings.empty_answer_when_inactive:
            return JSONResponse([])
        if reply_to and self._visible_status(str(reply_to)) is None:
            raise ModelNotFound("Status", str(reply_to))
        attachments = self._claimable_media(account, _as_list(media_ids)) if media_ids else []
        status = self._store_status(account, params, visibility, attachments, request)
        status.idempotency_key = key
        self._after_mutation(request)
        body = self._status_json(status, base_url(request))
        # statusCreate sets these on its answer; reads of the same status lack them.
        body.update({"language": "en", "card": None})
        return JSONResponse(body)

    def _validate_new_status(self, params: dict[str, Any]) -> None:
        s = self.settings
        check = Validator(params)
        check.string("status", s.max_caption_length)
        check.array("media_ids", s.max_album_length)
        check.one_of("visibility", VISIBILITIES)
        check.boolean("sensitive")
        check.string("spoiler_text", s.max_spoiler_length)
        check.boolean("comments_disabled")
        check.check()

    def _consume_idempotency_key(self, request: Request, account: Account) -> str | None:
        """C7 step 2: refuse a key seen in the last hour, else remember it before creating."""
        header = request.headers.get("idempotency-key")
        if not header:
            return None
        key = (account.id, hashlib.sha1(header.encode()).hexdigest())
        seen = self.state.idempotency_keys.get(key)
        if seen is not None and self.now() - seen < self.settings.idempotency_window_seconds:
            raise Abort(400, "Duplicate idempotency key.")
        self.state.idempotency_keys[key] = self.now()
        return header

    def _check_daily_status_cap(self, account: Account) -> None:
        cap = self.settings.daily_status_cap
        if cap is None:
            return
        since = self.now() - DAY
        recent = sum(
            1
            for s in self.state.statuses.values()
            if s.account_id == account.id and not s.deleted and s.created_at > since
        )
        if recent >= cap:
            raise Abort(429)

    @staticmethod
    def _effective_visibility(account: Account, requested: str) -> str:
        if account.is_private:
            return "private"
        if account.is_unlisted and requested == "public":
            return "unlisted"
        return requested

    def _claimable_media(self, account: Account, raw_ids: list[Any]) -> list[Media]:
        """C7 step 9: the caller's unattached media, in the order given (extras beyond the
        album limit ignored). None of them usable (attached already, missing, collected,
        someone else's) answers 400 "Invalid media_ids"; one bad id among good ones is a
        `findOrFail` miss."""

        def claimable(raw: Any) -> Media | None:
            media = self.state.media.get(_normalised_id(raw) or "")
            if media is None or media.account_id != account.id or media.status_id:
                return None
            return media

        if not any(claimable(raw) for raw in raw_ids):
            raise Abort(400, "Invalid media_ids")
        claimed: list[Media] = []
        for raw in raw_ids[: self.settings.max_album_length]:
            media = claimable(raw)
            if media is None:
                raise ModelNotFound("Media", str(raw))
            if media not in claimed:
                claimed.append(media)
        return claimed

    def _store_status(
        self,
        account: Account,
        params: dict[str, Any],
        visibility: str,
        attachments: list[Media],
        request: Request,
    ) -> Status:
        # `strip_tags`, not the purifier: an unmatched "<3" drops the rest of the caption.
        caption = php_strip_tags(str(params.get("status") or ""))
        sensitive = bool(parse_bool(params.get("sensitive", False)))
        status = Status(
            id=str(next(self._status_ids)),
            account_id=account.id,
            caption=caption,
            content=render_caption(caption, base_url(request)) or "",
            visibility=visibility,
            media_ids=[m.id for m in attachments],
            created_at=self.now(),
            sensitive=sensitive,
            spoiler_text=str(params.get("spoiler_text") or "") if sensitive else "",
            tags=extract_tags(caption),
            in_reply_to_id=_normalised_id(params.get("in_reply_to_id")),
        )
        for media in attachments:
            media.status_id = status.id
        self.state.statuses[status.id] = status
        return status

    def _get_status(self, request: Request, params: dict[str, Any]) -> Response:
        account = self._authenticate(request, READ_SCOPE)
        self._mark_active(account)
        status = self._visible_status(request.path_params["status_id"])
        if status is None:
            raise Abort(404)
        if status.account_id != account.id and status.visibility == "private":
            raise Abort(403)
        return JSONResponse(self._status_json(status, base_url(request)))

    def _edit_status(self, request: Request, params: dict[str, Any]) -> Response:
        account = self._authenticate(request, WRITE_SCOPE)
        if not self.settings.editing_enabled:
            raise Abort(404, "Post editing is not enabled on this server.")
        status_id = request.path_params["status_id"]
        # StoreStatusEditRequest::authorize(): the caller's own, not a reply, not a draft.
        # A refusal (a missing post included) is an AuthorizationException: 500 (C2).
        status = self._visible_status(status_id)
        if status is None or status.account_id != account.id or status.in_reply_to_id:
            raise Unauthorized()
        self._validate_edit(params, account, status)
        if status.history_rows >= self.settings.max_edit_history:
            raise Abort(
                400, f"You cannot edit your post more than {self.settings.max_edit_history} times."
            )
        self._apply_edit(status, params, base_url(request))
        self._after_mutation(request)
        # The answer is `StatusService::get($id)`, which only sees public posts: an edit of
        # an unlisted or private post is applied and answered 200 with an empty body.
        if status.visibility != "public":
            return Response(b"", 200, media_type="text/html")
        return JSONResponse(self._status_json(status, base_url(request), pixelfed_entity=True))

    def _validate_edit(self, params: dict[str, Any], account: Account, status: Status) -> None:
        s = self.settings
        check = Validator(params)
        check.string("status", s.max_caption_length)
        check.string("spoiler_text", s.max_spoiler_length)
        check.boolean("sensitive")
        # Laravel turns "" into null, so an empty `status` counts as absent here.
        if not check.present("status") and not check.present("media_ids"):
            check.fail("media_ids", "The media ids field is required when status is not present.")
        check.array("media_ids", s.max_album_length)
        check.check()
        raw_ids = _as_list(params.get("media_ids"))
        # The rule's closure runs `findOrFail($ids)`: a miss is not a validation error.
        bad = [
            str(raw)
            for raw in raw_ids
            if not _usable_in_edit(self.state.media.get(_normalised_id(raw) or ""), account, status)
        ]
        if bad:
            raise ModelNotFound("Media", ", ".join(bad))

    def _apply_edit(self, status: Status, params: dict[str, Any], base: str) -> None:
        """C8: absent `status` and `spoiler_text` clear them; media only removed/reordered."""
        if len(status.media_ids) >= 2:
            if "media_ids" not in params:
                # UpdateStatusService reads the missing array key and PHP throws.
                raise Abort(500, 'Undefined array key "media_ids"')
            self._reorder_media(status, _as_list(params["media_ids"]))
        raw = params.get("status")
        status.caption = purify(str(raw)) if raw else None
        status.content = render_caption(status.caption, base, line_breaks=True)
        status.spoiler_text = purify(str(params.get("spoiler_text") or ""))
        status.sensitive = bool(parse_bool(params.get("sensitive", False)))
        status.history_rows += 2 if status.history_rows == 0 else 1
        status.edit_count += 1
        status.edited_at = self.now()

    def _reorder_media(self, status: Status, raw_ids: list[Any]) -> None:
        kept: list[str] = []
        for raw in raw_ids:
            media_id = _normalised_id(raw)
            if media_id in status.media_ids and media_id not in kept:
                kept.append(media_id)
        for media_id in status.media_ids:
            if media_id not in kept:
                self._remove_media(media_id)
        status.media_ids = kept

    def _delete_status(self, request: Request, params: dict[str, Any]) -> Response:
        account = self._authenticate(request, WRITE_SCOPE)
        self._mark_active(account)
        status_id = request.path_params["status_id"]
        status = self._visible_status(status_id)
        if status is None or status.account_id != account.id:
            raise ModelNotFound("Status", status_id)
        body = self._status_json(status, base_url(request))
        body["text"] = body.pop("content")
        if status.deleted_at is None:
            status.deleted_at = self.now()
        if self._deletion_due(status, self.now()):
            self._purge(status)
        self._after_mutation(request)
        return JSONResponse(body)

    def _list_statuses(self, request: Request, params: dict[str, Any]) -> Response:
        viewer = self._authenticate(request, READ_SCOPE)
        account = self.state.accounts.get(request.path_params["account_id"])
        if account is None:
            raise JsonAnswer(404, {"error": "Account not found"})
        candidates = [
            s
            for s in self.state.statuses.values()
            if s.account_id == account.id
            and self._is_readable(s)
            and s.in_reply_to_id is None
            and (viewer.id == account.id or s.visibility != "private")
            and (not parse_bool(params.get("only_media", False)) or s.media_ids)
        ]
        page = _page(candidates, params)
        base = base_url(request)
        return JSONResponse([self._status_json(s, base) for s in page])

    def _visible_status(self, status_id: str) -> Status | None:
        status = self.state.statuses.get(status_id)
        return status if status is not None and self._is_readable(status) else None

    def _is_readable(self, status: Status) -> bool:
        """Not deleted, or deleted but the queued deletion job has not run yet (C9)."""
        return not status.deleted or not self._deletion_due(status, self.now())

    def _deletion_due(self, status: Status, now: float) -> bool:
        if status.purged:
            return True
        if status.deleted_at is None:
            return False
        return now >= status.deleted_at + self.settings.async_delete_seconds

    def _purge(self, status: Status) -> None:
        if status.purged:
            return
        status.purged = True
        for media_id in status.media_ids:
            self._remove_media(media_id)

    def _media_expired(self, media: Media, now: float) -> bool:
        if media.delete_at is not None and now >= media.delete_at:
            return True
        return self.settings.media_gc and now - media.created_at >= (
            self.settings.media_gc_age_seconds
        )

    def _remove_media(self, media_id: str) -> None:
        if self.state.media.pop(media_id, None) is not None:
            self.state.collected_media_ids.append(media_id)

    # --- the web server in front: body limit, proxy rate limit, due jobs -------------------

    def front_door(self, scope: Scope) -> Response | None:
        """An answer given before pixelfed sees the request, or None to pass it on."""
        with self._lock:
            self.collect_garbage()
            headers = dict(scope.get("headers", []))
            limit_kb = self.settings.web_server_body_limit_kb
            length = headers.get(b"content-length", b"0")
            if limit_kb is not None and length.isdigit() and int(length) > limit_kb * 1024:
                return _html_error(413, "Request Entity Too Large")
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

    # --- entities ---------------------------------------------------------------------------

    def _account_json(self, account: Account, base: str, full: bool = False) -> dict[str, Any]:
        url = f"{base}/{account.username}"
        avatar = f"{base}/storage/avatars/default.jpg"
        body: dict[str, Any] = {
            "id": account.id,
            "username": account.username,
            "acct": account.username,
            "display_name": account.display_name,
            "discoverable": True,
            "locked": account.is_private,
            "followers_count": 0,
            "following_count": 0,
            "statuses_count": len(self.statuses_of(account.id)),
            "note": "",
            "url": url,
            "avatar": avatar,
            "avatar_static": avatar,
            "header": f"{base}/storage/headers/missing.png",
            "header_static": f"{base}/storage/headers/missing.png",
            "created_at": iso_time(account.created_at),
            "bot": False,
            "emojis": [],
            "fields": [],
            "last_status_at": None,
        }
        if full:
            body.update({"local": True, "is_admin": False, "website": None, "pronouns": []})
        return body

    def _media_json(
        self, media: Media, base: str, in_status: bool = False, processed: bool = True
    ) -> dict[str, Any]:
        """MediaTransformer's shape. An upload's answer has `meta: null`: the dimensions
        are only known once the queued image job has run (`processed`)."""
        extension = EXTENSIONS.get(media.mime, "bin")
        version = int(media.created_at)
        path = f"{base}/storage/m/_v2/{media.account_id}/{media.id}"
        meta = None
        if processed and media.width and media.height:
            meta = {
                "focus": {"x": 0, "y": 0},
                "original": {
                    "width": media.width,
                    "height": media.height,
                    "size": f"{media.width}x{media.height}",
                    "aspect": media.width / media.height,
                },
            }
        body: dict[str, Any] = {
            "id": media.id,
            "type": "image",
            "url": f"{path}.{extension}?v={version}",
            "remote_url": None,
            "preview_url": f"{path}_thumb.jpg?v={version}",
            "optimized_url": f"{path}.{extension}",
            "text_url": None,
            "meta": meta,
            "description": media.description,
            "license": None,
            "is_nsfw": False,
            "orientation": _orientation(media),
            "filter_name": None,
            "filter_class": None,
            "mime": media.mime,
            "blurhash": BLURHASH,
        }
        if in_status:
            for key in _PIXELFED_ONLY_MEDIA_KEYS:
                body.pop(key)
            body["type"] = media.mime.split("/")[0]
        return body

    def _status_json(
        self, status: Status, base: str, pixelfed_entity: bool = False
    ) -> dict[str, Any]:
        account = self.state.accounts[status.account_id]
        url = f"{base}/p/{account.username}/{status.id}"
        attachments = [
            self._media_json(self.state.media[m], base, in_status=not pixelfed_entity)
            for m in status.media_ids
            if m in self.state.media
        ]
        body: dict[str, Any] = {
            "id": status.id,
            "uri": url,
            "url": url,
            "content": status.content,
            "created_at": iso_time(status.created_at),
            "visibility": status.visibility,
            "sensitive": status.sensitive,
            "spoiler_text": status.spoiler_text,
            "media_attachments": attachments,
            "account": self._account_json(account, base, full=pixelfed_entity),
            "tags": [
                {"name": t, "url": f"{base}/discover/tags/{t.lower()}?src=hash"}
                for t in status.tags
            ],
            "mentions": [],
            "emojis": [],
            "in_reply_to_id": status.in_reply_to_id,
            "in_reply_to_account_id": None,
            "reblog": None,
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "favourited": False,
            "reblogged": False,
            "bookmarked": False,
            "muted": False,
            # StatusStatelessTransformer: no `card` or `pinned`, and no language.
            "language": None,
            "application": {"name": "web", "website": None},
            "poll": None,
            "edited_at": iso_time(status.edited_at) if status.edited_at else None,
        }
        if pixelfed_entity:
            body.update(
                {
                    "pf_type": _pf_type(status),
                    "shortcode": _base36(int(status.id)),
                    "content_text": status.caption or "",
                    "local": True,
                }
            )
        return body


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


_POLLS = {
    "max_options": 4,
    "max_characters_per_option": 50,
    "min_expiration": 300,
    "max_expiration": 2629746,
}
_PIXELFED_ONLY_MEDIA_KEYS = (
    "optimized_url",
    "license",
    "is_nsfw",
    "orientation",
    "filter_name",
    "filter_class",
    "mime",
)


def _mastodon_error(exc: Exception) -> Response:
    if isinstance(exc, ValidationFailed):
        return JSONResponse({"error": f"Validation failed: {exc.message}"}, 422)
    if isinstance(exc, Unauthenticated):
        return JSONResponse(
            {"error": "The access token is invalid"},
            401,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if isinstance(exc, ModelNotFound):
        return JSONResponse({"error": "Record not found"}, 404)
    if isinstance(exc, Unauthorized):
        return JSONResponse({"error": exc.message}, 403)
    assert isinstance(exc, Abort)
    return JSONResponse({"error": exc.message or HTTPStatus(exc.status).phrase}, exc.status)


def _html_error(status: int, message: str) -> HTMLResponse:
    phrase = HTTPStatus(status).phrase
    return HTMLResponse(
        f"<!DOCTYPE html><html><head><title>{phrase}</title></head>"
        f"<body><h1>{status} | {message or phrase}</h1></body></html>",
        status,
    )


def _oauth_error(error: str, description: str) -> dict[str, str]:
    return {"error": error, "error_description": description, "message": description}


def _redirect_with(uri: str, **query: Any) -> RedirectResponse:
    pairs = {k: v for k, v in query.items() if v is not None}
    separator = "&" if "?" in uri else "?"
    return RedirectResponse(f"{uri}{separator}{urlencode(pairs)}", 302)


def _log_params(request: Request, params: dict[str, Any]) -> None:
    """Record the body's fields (secrets and file contents left out) in the request log."""
    loggable: dict[str, str] = {}
    for key, value in params.items():
        if key in LOGGED_SECRETS:
            loggable[key] = REDACTED
        elif isinstance(value, UploadedFile):
            loggable[key] = f"<{value.filename}: {len(value.data)} bytes>"
        elif isinstance(value, list):
            loggable[key] = ",".join(str(v) for v in value)
        else:
            loggable[key] = str(value)
    add_params(request.scope, loggable)


def _normalised_id(raw: Any) -> str | None:
    if isinstance(raw, bool) or raw is None:
        return None
    text = str(raw).strip()
    return str(int(text)) if text.isdigit() and int(text) > 0 else None


def _usable_in_edit(media: Media | None, account: Account, status: Status) -> bool:
    """C8: the caller's media, unattached or already on this status."""
    if media is None or media.account_id != account.id:
        return False
    return media.status_id in (None, status.id)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _page(statuses: list[Status], params: dict[str, Any]) -> list[Status]:
    """C9 paging as accountStatusesById does it: newest first, `limit` (default 20, at most
    40). `min_id` wins over `max_id` and gives the newest page above it (not the page just
    above it, as Mastodon does); `since_id` is ignored."""
    limit = _normalised_id(params.get("limit"))
    size = min(int(limit), MAX_PAGE) if limit else DEFAULT_PAGE
    ordered = sorted(statuses, key=lambda s: int(s.id), reverse=True)
    min_id = _normalised_id(params.get("min_id"))
    max_id = _normalised_id(params.get("max_id"))
    if min_id:
        ordered = [s for s in ordered if int(s.id) > int(min_id)]
    elif max_id:
        ordered = [s for s in ordered if int(s.id) < int(max_id)]
    return ordered[:size]


def _orientation(media: Media) -> str | None:
    if not media.width or not media.height:
        return None
    if media.width == media.height:
        return "square"
    return "landscape" if media.width > media.height else "portrait"


def _pf_type(status: Status) -> str:
    if len(status.media_ids) > 1:
        return "photo:album"
    return "photo" if status.media_ids else "text"


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while number:
        number, remainder = divmod(number, 36)
        text = digits[remainder] + text
    return text or "0"
