"""The Mastodon simulator: Mastodon's REST API for photo posts over real HTTP.

`MastodonSimulator` owns the in-memory state (`sim.state`), the switches (`sim.settings`,
a `MastodonSettings`), the fault knobs (`sim.knobs`) and the request log (`sim.log`);
`sim.asgi_app` is the Starlette app behind rack-attack's throttles, wrapped in
`FaultMiddleware`. Serve it with `sandbox.serving.serve_in_thread(sim.asgi_app)`.

Mastodon behaviour reproduced (sources in `sandbox/FIDELITY-mastodon.md`):
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

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from sandbox.faults import (
    ASGIApp,
    FaultKnobs,
    FaultMiddleware,
    Message,
    Receive,
    RequestLog,
    Scope,
    Send,
    add_params,
    drop_answer,
)
from sandbox.mastodon_model import (
    AUDIO_MIME_TYPES,
    FILE_TYPE_ERROR,
    IMAGE_MIME_TYPES,
    IN_USAGE_ERROR,
    MEDIA_NOT_FOUND,
    NOT_READY,
    OUTSIDE_SCOPES,
    PROCESSING_ERROR,
    REPLY_NOT_FOUND,
    TOO_MANY_FILES,
    TOO_MANY_REQUESTS,
    VERSION,
    VIDEO_MIME_TYPES,
    VISIBILITIES,
    AccessToken,
    Account,
    MastodonAnswer,
    MastodonSettings,
    MastodonState,
    Media,
    SnowflakeIds,
    Status,
    StatusEdit,
    UploadedFile,
    cast_boolean,
    forbidden,
    hashtags,
    human_size,
    id_list,
    image_size,
    invalid_token,
    not_found,
    parse_json_body,
    rails_params,
    record_not_found,
    render_content,
    sniff_mime,
    status_length,
    truthy_param,
    validation_error,
    validation_failed,
)

__all__ = ["MastodonSettings", "MastodonSimulator", "MastodonState"]

Handler = Callable[[Request, dict[str, Any]], Response]
MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
DEFAULT_SCOPES = ("read", "write", "follow")
DEFAULT_PAGE = 20
MAX_PAGE = 40
FIVE_MINUTES = 300
FAMILY_HEADERS_KEY = "mastodon.family_headers"
THROTTLE_DATA_KEY = "mastodon.throttle_data"
BLURHASH = "UFBWY:8_0Jxu%MRjWBae00xu~qRjM{WBt7of"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def iso_time(timestamp: float) -> str:
    """`created_at` as Mastodon writes it: milliseconds and `Z`."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def reset_time(now: float, period: int) -> str:
    """`X-RateLimit-Reset`: the end of the current fixed window, ISO 8601 with microseconds."""
    moment = datetime.fromtimestamp(now + (period - int(now) % period), UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


class MastodonSimulator:
    """An in-memory Mastodon server. Tests read `state`, flip `settings` and `knobs`."""

    def __init__(
        self,
        settings: MastodonSettings | None = None,
        knobs: FaultKnobs | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings or MastodonSettings()
        self.knobs = knobs or FaultKnobs()
        self.log = RequestLog()
        self.state = MastodonState()
        self._clock = clock or time.time
        self._offset = 0.0
        self._lock = threading.RLock()
        self._ids = SnowflakeIds()
        self._token_ids = iter(range(1, 1 << 62))
        self._asgi_app: ASGIApp | None = None

    # --- clock and convenience methods for tests ------------------------------------------

    def now(self) -> float:
        return self._clock() + self._offset

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward and run the background jobs that are due."""
        with self._lock:
            self._offset += seconds
            self.run_due_jobs()

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
        with self._lock:
            account = Account(
                id=self._ids.next(self.now()),
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
        with self._lock:
            if account_id not in self.state.accounts:
                raise KeyError(f"no account {account_id}")
            token = secrets.token_urlsafe(32)
            record = AccessToken(
                next(self._token_ids), digest(token), account_id, frozenset(scopes)
            )
            self.state.tokens[record.digest] = record
            return token

    def create_account_with_token(
        self, username: str = "alice", scopes: tuple[str, ...] = DEFAULT_SCOPES
    ) -> tuple[Account, str]:
        account = self.create_account(username)
        return account, self.create_token(account, scopes)

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
        """The (not deleted) status whose media list holds `media_id`, if any."""
        with self._lock:
            for status in self.state.statuses.values():
                if media_id in status.media_ids and not status.deleted:
                    return status
            return None

    def run_due_jobs(self) -> None:
        """Finish media processing, `RemovalWorker` jobs and the orphaned-media vacuum."""
        with self._lock:
            now = self.now()
            for media in self.state.media.values():
                self._settle_processing(media, now)
            for status in self.state.statuses.values():
                if (
                    status.removal_due is not None
                    and not status.removed
                    and now >= status.removal_due
                ):
                    self._remove(status)
            ttl = self.settings.orphan_media_seconds
            for media in list(self.state.media.values()):
                if media.status_id is None and now - media.created_at >= ttl:
                    self._destroy_media(media.id)

    # --- the app ----------------------------------------------------------------------------

    @property
    def asgi_app(self) -> ASGIApp:
        """The Starlette app behind rack-attack, wrapped in FaultMiddleware."""
        if self._asgi_app is None:
            throttled = _RackAttack(self, self._build_app())
            self._asgi_app = FaultMiddleware(
                throttled,
                self.knobs,
                self.log,
                error_body=lambda status: {"error": HTTPStatus(status).phrase},
            )
        return self._asgi_app

    def _build_app(self) -> Starlette:
        routes = [
            self._route("/api/v1/instance", self._instance_v1, "GET"),
            self._route("/api/v2/instance", self._instance_v2, "GET"),
            self._route("/api/v1/accounts/verify_credentials", self._verify_credentials, "GET"),
            self._route("/api/v1/accounts/{account_id}/statuses", self._account_statuses, "GET"),
            self._route("/api/v1/media", self._upload_v1, "POST"),
            self._route("/api/v2/media", self._upload_v2, "POST"),
            self._route("/api/v1/media/{media_id}", self._show_media, "GET"),
            self._route("/api/v1/media/{media_id}", self._update_media, "PUT"),
            self._route("/api/v1/media/{media_id}", self._destroy_media_route, "DELETE"),
            self._route("/api/v1/statuses", self._create_status, "POST"),
            self._route("/api/v1/statuses/{status_id}", self._show_status, "GET"),
            self._route("/api/v1/statuses/{status_id}", self._update_status, "PUT"),
            self._route("/api/v1/statuses/{status_id}", self._delete_status, "DELETE"),
            self._route("/api/v1/statuses/{status_id}/source", self._status_source, "GET"),
        ]
        return Starlette(
            routes=routes,
            exception_handlers={
                MastodonAnswer: _render_answer,
                HTTPException: _render_routing_error,
            },
        )

    def _route(self, path: str, handler: Handler, method: str) -> Route:
        async def endpoint(request: Request) -> Response:
            params = await _request_params(request, method)
            _log_params(request, params)
            with self._lock:
                self.run_due_jobs()
                return handler(request, params)

        return Route(path, endpoint, methods=[method])

    def _after_mutation(self, request: Request) -> None:
        if self.knobs.should_drop():
            drop_answer(request.scope)

    # --- Doorkeeper and Api::BaseController ---------------------------------------------

    def token_of(self, headers: dict[bytes, bytes]) -> AccessToken | None:
        """The token record an Authorization header names (valid or not)."""
        scheme, _, value = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None
        return self.state.tokens.get(digest(value.strip()))

    def _doorkeeper_authorize(self, request: Request, *scopes: str) -> Account:
        """`doorkeeper_authorize!` then `require_user!`: the acting account, or an error."""
        record = self.token_of(dict(request.scope["headers"]))
        if record is None:
            raise invalid_token("The access token is invalid")
        self._check_token(record, scopes)
        return self._require_user(record)

    def _authorize_if_got_token(self, request: Request, *scopes: str) -> Account | None:
        """`authorize_if_got_token!`: an unknown token reads as anonymous."""
        record = self.token_of(dict(request.scope["headers"]))
        if record is None:
            return None
        self._check_token(record, scopes)
        return self.state.accounts.get(record.account_id)

    def _check_token(self, record: AccessToken, scopes: tuple[str, ...]) -> None:
        if record.revoked:
            raise invalid_token("The access token was revoked")
        if record.expires_at is not None and record.expires_at <= self.now():
            raise invalid_token("The access token expired")
        if scopes and not record.scopes & set(scopes):
            raise forbidden(OUTSIDE_SCOPES)

    def _require_user(self, record: AccessToken) -> Account:
        account = self.state.accounts.get(record.account_id)
        if account is None:
            raise MastodonAnswer(422, {"error": "This method requires an authenticated user"})
        if account.suspended:
            raise forbidden("Your login is currently disabled")
        if not account.confirmed:
            raise forbidden("Your login is missing a confirmed e-mail address")
        if not account.approved:
            raise forbidden("Your login is currently pending approval")
        if account.disabled:
            raise forbidden("Your login is currently disabled")
        return account

    # --- instance -------------------------------------------------------------------------

    def _instance_v1(self, request: Request, params: dict[str, Any]) -> Response:
        s = self.settings
        return JSONResponse(
            {
                "uri": request.url.netloc,
                "title": s.instance_title,
                "short_description": "",
                "description": "A simulated Mastodon server",
                "email": s.contact_email,
                "version": VERSION,
                "urls": {"streaming_api": f"wss://{request.url.netloc}"},
                "stats": self._stats(),
                "thumbnail": f"{base_url(request)}/packs/media/images/preview.png",
                "languages": ["en"],
                "registrations": False,
                "approval_required": False,
                "invites_enabled": False,
                "configuration": {
                    "accounts": {"max_featured_tags": 10},
                    "statuses": self._statuses_configuration(),
                    "media_attachments": self._media_configuration(v2=False),
                    "polls": _POLLS,
                },
                "contact_account": None,
                "rules": [],
            }
        )

    def _instance_v2(self, request: Request, params: dict[str, Any]) -> Response:
        if not self.settings.v2_instance:
            raise HTTPException(404)
        s = self.settings
        base = base_url(request)
        return JSONResponse(
            {
                "domain": request.url.netloc,
                "title": s.instance_title,
                "version": VERSION,
                "source_url": "https://github.com/mastodon/mastodon",
                "description": "A simulated Mastodon server",
                "usage": {"users": {"active_month": len(self.state.accounts)}},
                "thumbnail": {"url": f"{base}/packs/media/images/preview.png"},
                "languages": ["en"],
                "configuration": {
                    "urls": {"streaming": f"wss://{request.url.netloc}", "status": None},
                    "vapid": {"public_key": ""},
                    "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
                    "statuses": self._statuses_configuration(),
                    "media_attachments": self._media_configuration(v2=True),
                    "polls": _POLLS,
                    "translation": {"enabled": False},
                },
                "registrations": {"enabled": False, "approval_required": False, "message": None},
                "api_versions": {"mastodon": 6},
                "contact": {"email": s.contact_email, "account": None},
                "rules": [],
            }
        )

    def _statuses_configuration(self) -> dict[str, Any]:
        return {
            "max_characters": self.settings.max_characters,
            "max_media_attachments": self.settings.max_media_attachments,
            "characters_reserved_per_url": 23,
        }

    def _media_configuration(self, v2: bool) -> dict[str, Any]:
        s = self.settings
        body: dict[str, Any] = {
            "supported_mime_types": [*IMAGE_MIME_TYPES, *VIDEO_MIME_TYPES, *AUDIO_MIME_TYPES],
            "image_size_limit": s.image_size_limit,
            "image_matrix_limit": s.image_matrix_limit,
            "video_size_limit": 99 * 1024 * 1024,
            "video_frame_rate_limit": 120,
            "video_matrix_limit": 8_294_400,
        }
        if v2 and s.reports_description_limit:
            body["description_limit"] = s.description_limit
        return body

    def _stats(self) -> dict[str, int]:
        statuses = sum(1 for s in self.state.statuses.values() if not s.deleted)
        return {"user_count": len(self.state.accounts), "status_count": statuses, "domain_count": 0}

    # --- accounts -------------------------------------------------------------------------

    def _verify_credentials(self, request: Request, params: dict[str, Any]) -> Response:
        account = self._doorkeeper_authorize(request, "profile", "read", "read:accounts")
        body = self._account_json(account, base_url(request))
        body["source"] = {
            "privacy": account.default_privacy,
            "sensitive": account.default_sensitive,
            "language": None,
            "note": "",
            "fields": [],
            "follow_requests_count": 0,
        }
        body["role"] = {
            "id": "-99",
            "name": "",
            "permissions": "0",
            "color": "",
            "highlighted": False,
        }
        return JSONResponse(body)

    def _account_statuses(self, request: Request, params: dict[str, Any]) -> Response:
        viewer = self._authorize_if_got_token(request, "read", "read:statuses")
        account = self.state.accounts.get(request.path_params["account_id"])
        if account is None:
            raise record_not_found()
        statuses = [
            s
            for s in self.state.statuses.values()
            if s.account_id == account.id and not s.deleted and self._listable(s, viewer)
        ]
        if truthy_param(params.get("only_media")):
            statuses = [s for s in statuses if s.media_ids]
        if truthy_param(params.get("exclude_replies")):
            statuses = [s for s in statuses if s.in_reply_to_id is None]
        limit = _limit(params.get("limit"))
        page = _paginate(statuses, limit, params)
        base = base_url(request)
        response = JSONResponse([self._status_json(s, base, viewer) for s in page])
        link = _link_header(request, page, limit, params)
        if link:
            response.headers["Link"] = link
        return response

    def _listable(self, status: Status, viewer: Account | None) -> bool:
        """`AccountStatusesFilter`: the author sees everything; others public and unlisted
        (followers also private, mentioned accounts direct: the simulator has neither)."""
        if viewer is not None and viewer.id == status.account_id:
            return True
        return status.visibility in ("public", "unlisted")

    # --- media ----------------------------------------------------------------------------

    def _upload_v1(self, request: Request, params: dict[str, Any]) -> Response:
        media = self._create_media(request, params, delay=False)
        return JSONResponse(self._media_json(media, base_url(request)))

    def _upload_v2(self, request: Request, params: dict[str, Any]) -> Response:
        if not self.settings.v2_media:
            raise HTTPException(404)
        media = self._create_media(request, params, delay=True)
        status = 202 if media.processing != "complete" else 200
        return JSONResponse(self._media_json(media, base_url(request)), status)

    def _create_media(self, request: Request, params: dict[str, Any], delay: bool) -> Media:
        account = self._doorkeeper_authorize(request, "write", "write:media")
        upload = params.get("file")
        if not isinstance(upload, UploadedFile) or not upload.data:
            raise validation_failed("File can't be blank")
        s = self.settings
        mime = sniff_mime(upload.data)
        if mime.startswith("image/"):
            size = image_size(upload.data)
            if size is None:
                # Paperclip::Errors::NotIdentifiedByImageMagickError
                raise validation_error(FILE_TYPE_ERROR)
            limit = s.gif_matrix_limit if mime == "image/gif" else s.image_matrix_limit
            if size[0] * size[1] > limit:
                kind = "GIF files" if mime == "image/gif" else "images"
                raise validation_error(f"{size[0]}x{size[1]} {kind} are not supported")
        else:
            size = None
        problems = []
        if mime not in (*IMAGE_MIME_TYPES, *VIDEO_MIME_TYPES, *AUDIO_MIME_TYPES):
            problems += ["File content type is invalid", "File is invalid"]
        elif mime.startswith("image/") and len(upload.data) >= s.image_size_limit:
            limit_text = human_size(s.image_size_limit)
            problems += [
                f"File file size must be less than {limit_text}",
                f"File must be less than {limit_text}",
            ]
        description = params.get("description")
        if isinstance(description, str) and len(description) > s.description_limit:
            problems.append(
                f"Description is too long (maximum is {s.description_limit} characters)"
            )
        if problems:
            raise validation_failed(*problems)
        now = self.now()
        kind = "gifv" if mime == "image/gif" else mime.split("/")[0]
        later = delay and (kind != "image" or s.delay_image_processing)
        media = Media(
            id=self._ids.next(now),
            account_id=account.id,
            mime=mime,
            type=kind if kind in ("image", "gifv", "video", "audio") else "unknown",
            size=len(upload.data),
            sha256=hashlib.sha256(upload.data).hexdigest(),
            description=description if isinstance(description, str) and description else None,
            created_at=now,
            width=size[0] if size else None,
            height=size[1] if size else None,
            focus=_focus(params.get("focus")),
            processing="queued" if later else "complete",
            ready_at=now + s.processing_seconds if later else now,
        )
        if not later and media.sha256 in s.failing_media_sha256:
            media.processing = "failed"
        self.state.media[media.id] = media
        self._after_mutation(request)
        return media

    def _settle_processing(self, media: Media, now: float) -> None:
        if media.processing == "queued" and now >= media.ready_at:
            failing = media.sha256 in self.settings.failing_media_sha256
            media.processing = "failed" if failing else "complete"

    def _own_unattached_media(self, request: Request) -> Media:
        """`set_media_attachment` and `check_processing` of Api::V1::MediaController."""
        account = self._doorkeeper_authorize(request, "write", "write:media")
        media = self.state.media.get(request.path_params["media_id"])
        if media is None or media.account_id != account.id or media.status_id is not None:
            raise record_not_found()
        if media.processing == "failed":
            raise MastodonAnswer(422, {"error": PROCESSING_ERROR})
        return media

    def _show_media(self, request: Request, params: dict[str, Any]) -> Response:
        media = self._own_unattached_media(request)
        status = 206 if media.processing != "complete" else 200
        return JSONResponse(self._media_json(media, base_url(request)), status)

    def _update_media(self, request: Request, params: dict[str, Any]) -> Response:
        media = self._own_unattached_media(request)
        if "description" in params:
            self._set_description(media, params.get("description"))
        if "focus" in params:
            media.focus = _focus(params.get("focus"))
        self._after_mutation(request)
        status = 206 if media.processing != "complete" else 200
        return JSONResponse(self._media_json(media, base_url(request)), status)

    def _set_description(self, media: Media, description: Any) -> None:
        text = description if isinstance(description, str) else None
        limit = self.settings.description_limit
        if text is not None and len(text) > limit:
            raise validation_failed(f"Description is too long (maximum is {limit} characters)")
        media.description = text or None

    def _destroy_media_route(self, request: Request, params: dict[str, Any]) -> Response:
        account = self._doorkeeper_authorize(request, "write", "write:media")
        media = self.state.media.get(request.path_params["media_id"])
        if media is None or media.account_id != account.id:
            raise record_not_found()
        if media.status_id is not None:
            raise MastodonAnswer(422, {"error": IN_USAGE_ERROR})
        self._destroy_media(media.id)
        self._after_mutation(request)
        return JSONResponse({})

    def _destroy_media(self, media_id: str) -> None:
        if self.state.media.pop(media_id, None) is not None:
            self.state.removed_media_ids.append(media_id)

    # --- statuses: create (PostStatusService) ---------------------------------------------

    def _create_status(self, request: Request, params: dict[str, Any]) -> Response:
        account = self._doorkeeper_authorize(request, "write", "write:statuses")
        reply_to = params.get("in_reply_to_id")
        if reply_to not in (None, ""):
            thread = self.state.statuses.get(str(reply_to))
            if thread is None or thread.deleted or not self._visible_to(thread, account):
                raise MastodonAnswer(404, {"error": REPLY_NOT_FOUND})
        key = request.headers.get("idempotency-key", "")
        if key:
            remembered = self.state.idempotency.get((account.id, key))
            if remembered is not None and remembered[1] > self.now():
                status = self.state.statuses.get(remembered[0])
                if status is None or status.deleted:
                    raise record_not_found()
                self._after_mutation(request)  # the repeat's answer can be lost too
                return self._status_response(request, status, account)
        media = self._validate_media(account, params.get("media_ids"), None)
        text = params.get("status")
        text = text if isinstance(text, str) else ""
        spoiler = params.get("spoiler_text")
        spoiler = spoiler if isinstance(spoiler, str) else ""
        sensitive = cast_boolean(params.get("sensitive"))
        visibility = params.get("visibility")
        if visibility is None:
            visibility = account.default_privacy
        if visibility == "public" and account.silenced:
            visibility = "unlisted"
        self._validate_status(text, spoiler, bool(media), visibility)
        self._record_family(request, account, "statuses")
        now = self.now()
        status = Status(
            id=self._ids.next(now),
            account_id=account.id,
            text=text,
            spoiler_text=spoiler,
            sensitive=(account.default_sensitive if sensitive is None else sensitive)
            or bool(spoiler),
            visibility=str(visibility),
            language=str(params.get("language") or "en"),
            media_ids=[m.id for m in media],
            created_at=now,
            idempotency_key=key or None,
            in_reply_to_id=str(reply_to) if reply_to not in (None, "") else None,
        )
        for item in media:
            item.status_id = status.id
        self.state.statuses[status.id] = status
        if key:
            expiry = now + self.settings.idempotency_seconds
            self.state.idempotency[(account.id, key)] = (status.id, expiry)
        self._after_mutation(request)
        return self._status_response(request, status, account)

    def _validate_media(self, account: Account, raw: Any, status: Status | None) -> list[Media]:
        """`validate_media!`: own media, unattached (or on this status when editing),
        at most four, processed, no video beside images."""
        ids = id_list(raw)
        if not ids:
            return []
        limit = self.settings.max_media_attachments
        if len(ids) > limit:
            raise validation_error(TOO_MANY_FILES.format(limit=limit))
        holders = (None,) if status is None else (None, status.id)
        found: dict[str, Media] = {}
        for media_id in ids[:limit]:
            media = self.state.media.get(media_id.strip())
            if media is not None and media.account_id == account.id and media.status_id in holders:
                found[media.id] = media
        missing = [i for i in ids if i.strip() not in found]
        if missing:
            raise validation_error(MEDIA_NOT_FOUND.format(ids=", ".join(missing)))
        chosen = [found[i.strip()] for i in ids if i.strip() in found]
        unique = list(dict.fromkeys(m.id for m in chosen))
        media = [self.state.media[i] for i in unique]
        if len(media) > 1 and any(m.type in ("video", "audio") for m in media):
            raise validation_error("Cannot attach a video to a post that already contains images")
        if any(m.processing != "complete" for m in media):
            raise validation_error(NOT_READY)
        return media

    def _validate_status(self, text: str, spoiler: str, with_media: bool, visibility: Any) -> None:
        problems = []
        if not text.strip() and not with_media:
            problems.append("Text can't be blank")
        max_chars = self.settings.max_characters
        if status_length(text, spoiler) > max_chars:
            problems.append(f"Text character limit of {max_chars} exceeded")
        if visibility not in VISIBILITIES:
            problems.append("Visibility is not included in the list")
        if problems:
            raise validation_failed(*problems)

    # --- statuses: read, source -----------------------------------------------------------

    def _show_status(self, request: Request, params: dict[str, Any]) -> Response:
        viewer = self._authorize_if_got_token(request, "read", "read:statuses")
        status = self._findable_status(request.path_params["status_id"], viewer)
        return self._status_response(request, status, viewer, family=False)

    def _status_source(self, request: Request, params: dict[str, Any]) -> Response:
        if not self.settings.status_source:
            raise HTTPException(404)
        record = self.token_of(dict(request.scope["headers"]))
        if record is None:
            raise invalid_token("The access token is invalid")
        self._check_token(record, ("read", "read:statuses"))
        viewer = self.state.accounts.get(record.account_id)
        status = self._findable_status(request.path_params["status_id"], viewer)
        return JSONResponse(
            {"id": status.id, "text": status.text, "spoiler_text": status.spoiler_text}
        )

    def _findable_status(self, status_id: str, viewer: Account | None) -> Status:
        """`set_status`: missing, deleted or not shown to the viewer -> 404 "Not Found"."""
        status = self.state.statuses.get(status_id)
        if status is None or status.deleted or not self._visible_to(status, viewer):
            raise not_found()
        return status

    def _visible_to(self, status: Status, viewer: Account | None) -> bool:
        """`StatusPolicy#show?` without follows and mentions (the simulator has neither)."""
        if viewer is not None and viewer.id == status.account_id:
            return True
        return status.visibility in ("public", "unlisted")

    # --- statuses: edit (UpdateStatusService) ---------------------------------------------

    def _update_status(self, request: Request, params: dict[str, Any]) -> Response:
        account = self._doorkeeper_authorize(request, "write", "write:statuses")
        status = self._own_status(account, request.path_params["status_id"])
        # The controller passes every option, present or not: an absent `status` empties
        # the text, absent `media_ids` empty the media list, absent `sensitive` is false.
        media = self._validate_media(account, params.get("media_ids"), status)
        attributes = self._media_attributes(media, params.get("media_attributes"))
        raw_text, raw_spoiler = params.get("status"), params.get("spoiler_text")
        text = raw_text if isinstance(raw_text, str) and raw_text.strip() else ""
        new_spoiler = raw_spoiler if isinstance(raw_spoiler, str) else ""
        if text:
            spoiler = new_spoiler
            sensitive = bool(cast_boolean(params.get("sensitive"))) or bool(new_spoiler)
        else:
            # An empty text takes the content warning's words; the warning stays as it was.
            text, spoiler = new_spoiler, status.spoiler_text
            sensitive = bool(cast_boolean(params.get("sensitive")))
        before = (status.text, status.spoiler_text, status.sensitive, list(status.media_ids))
        after = (text, spoiler, sensitive, [m.id for m in media])
        media_changed = any(
            (target.description, target.focus) != (description, focus)
            for target, description, focus in attributes
        )
        if before == after and not media_changed:
            # NoChangesSubmittedError: nothing is saved, no edit is recorded.
            return self._status_response(request, status, account)
        self._validate_status(text, spoiler, bool(media), status.visibility)
        self._record_family(request, account, "statuses")
        if not status.edits:
            status.edits.append(self._snapshot(status, status.created_at, counted=False))
        for target, description, focus in attributes:
            target.description, target.focus = description, focus
        for item in media:
            item.status_id = status.id
        status.text, status.spoiler_text, status.sensitive, status.media_ids = after
        status.edited_at = self.now()
        status.edits.append(self._snapshot(status, self.now(), counted=True))
        self._after_mutation(request)
        return self._status_response(request, status, account)

    def _media_attributes(
        self, media: list[Media], raw: Any
    ) -> list[tuple[Media, str | None, tuple[float, float] | None]]:
        """`media_attributes[]`: new description and focus of media in the new list only
        (others are ignored), validated like `media.update!`."""
        planned = []
        by_id = {m.id: m for m in media}
        limit = self.settings.description_limit
        for attributes in raw if isinstance(raw, list) else []:
            if not isinstance(attributes, dict):
                continue
            target = by_id.get(str(attributes.get("id", "")).strip())
            if target is None:
                continue
            description = target.description
            if "description" in attributes:
                value = attributes.get("description")
                description = value if isinstance(value, str) and value else None
                if description is not None and len(description) > limit:
                    raise validation_failed(
                        f"Description is too long (maximum is {limit} characters)"
                    )
            focus = _focus(attributes.get("focus")) if "focus" in attributes else target.focus
            planned.append((target, description, focus))
        return planned

    def _snapshot(self, status: Status, at: float, counted: bool) -> StatusEdit:
        return StatusEdit(
            text=status.text,
            spoiler_text=status.spoiler_text,
            sensitive=status.sensitive,
            media_ids=list(status.media_ids),
            media_descriptions=[
                self.state.media[m].description if m in self.state.media else None
                for m in status.media_ids
            ],
            created_at=at,
            counted=counted,
        )

    def _own_status(self, account: Account, status_id: str) -> Status:
        """`Status.where(account: current_account).find(id)`."""
        status = self.state.statuses.get(status_id)
        if status is None or status.deleted or status.account_id != account.id:
            raise record_not_found()
        return status

    # --- statuses: delete (RemoveStatusService) -------------------------------------------

    def _delete_status(self, request: Request, params: dict[str, Any]) -> Response:
        account = self._doorkeeper_authorize(request, "write", "write:statuses")
        status = self._own_status(account, request.path_params["status_id"])
        body = self._status_json(status, base_url(request), account)
        body["text"] = status.text
        body.pop("content")
        status.deleted_at = self.now()
        status.redraft = not (
            self.settings.delete_media_param and truthy_param(params.get("delete_media"))
        )
        status.removal_due = self.now() + self.settings.removal_delay_seconds
        if self.settings.removal_delay_seconds <= 0:
            self._remove(status)
        self._after_mutation(request)
        return JSONResponse(body)

    def _remove(self, status: Status) -> None:
        """`RemovalWorker`: the record is destroyed; its media are released (`dependent:
        :nullify`) for a redraft, or destroyed with it."""
        status.removed = True
        for media in [m for m in self.state.media.values() if m.status_id == status.id]:
            if status.redraft:
                media.status_id = None
            else:
                self._destroy_media(media.id)

    # --- the statuses rate-limit family ----------------------------------------------------

    def _record_family(self, request: Request, account: Account, family: str) -> None:
        """`RateLimiter#record!`: raises past the limit; the around_action sets headers."""
        limit = self.settings.statuses_limit
        if limit is None:
            return
        period = 3 * 3600
        now = self.now()
        key = (account.id, family, int(now) // period)
        count = self.state.families.get(key, 0)
        over = count >= limit
        if not over:
            count += 1
            self.state.families[key] = count
        request.scope[FAMILY_HEADERS_KEY] = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - count)),
            "X-RateLimit-Reset": reset_time(now, period),
        }
        if over:
            raise MastodonAnswer(429, {"error": TOO_MANY_REQUESTS})

    def _family_headers(self, account: Account) -> dict[str, str]:
        limit = self.settings.statuses_limit
        if limit is None:
            return {}
        period = 3 * 3600
        now = self.now()
        count = self.state.families.get((account.id, "statuses", int(now) // period), 0)
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - count)),
            "X-RateLimit-Reset": reset_time(now, period),
        }

    # --- rack-attack ------------------------------------------------------------------------

    def throttle(self, scope: Scope) -> tuple[Response | None, dict[str, dict[str, Any]]]:
        """Count the request against every throttle it matches, as `Rack::Attack` does;
        the 429 answer when one is exceeded, and the throttle data for the headers."""
        with self._lock:
            now = self.now()
            path, method = scope["path"], scope["method"]
            if not path.startswith("/api"):
                return None, {}
            headers = dict(scope.get("headers", []))
            record = self.token_of(headers)
            user = record.account_id if record is not None else None
            token = str(record.id) if record is not None else None
            query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
            paging = any(query.get(k) for k in ("page", "min_id", "max_id", "since_id"))
            s = self.settings
            candidates = [
                ("throttle_authenticated_api", s.per_user_limit, FIVE_MINUTES, user),
                ("throttle_per_token_api", s.per_token_limit, FIVE_MINUTES, token),
                (
                    "throttle_unauthenticated_api",
                    s.unauthenticated_limit,
                    FIVE_MINUTES,
                    None if user else _client_ip(scope),
                ),
                (
                    "throttle_api_media",
                    s.media_limit,
                    1800,
                    user if method == "POST" and _is_media_upload(path) else None,
                ),
                (
                    "throttle_authenticated_paging",
                    s.paging_limit,
                    900,
                    user if paging else None,
                ),
                (
                    "throttle_api_delete",
                    s.delete_limit,
                    1800,
                    user if method == "DELETE" and _is_status_path(path) else None,
                ),
            ]
            data: dict[str, dict[str, Any]] = {}
            for name, limit, period, discriminator in candidates:
                if limit is None or discriminator is None:
                    continue
                key = (name, discriminator, int(now) // period)
                count = self.state.throttles.get(key, 0) + 1
                self.state.throttles[key] = count
                data[name] = {"count": count, "limit": limit, "period": period}
                if count > limit:
                    answer = JSONResponse(
                        {"error": TOO_MANY_REQUESTS},
                        429,
                        headers={
                            "X-RateLimit-Limit": str(limit),
                            "X-RateLimit-Remaining": "0",
                            "X-RateLimit-Reset": reset_time(now, period),
                        },
                    )
                    return answer, data
            return None, data

    def rate_limit_headers(self, data: dict[str, dict[str, Any]]) -> dict[str, str]:
        """`set_rate_limit_headers`: the most limited throttle's numbers."""
        if not data:
            return {}
        most = min(data.values(), key=lambda d: d["limit"] - d["count"])
        return {
            "X-RateLimit-Limit": str(most["limit"]),
            "X-RateLimit-Remaining": str(most["limit"] - most["count"]),
            "X-RateLimit-Reset": reset_time(self.now(), most["period"]),
        }

    # --- entities ---------------------------------------------------------------------------

    def _status_response(
        self, request: Request, status: Status, viewer: Account | None, family: bool = True
    ) -> Response:
        if family and viewer is not None and FAMILY_HEADERS_KEY not in request.scope:
            request.scope[FAMILY_HEADERS_KEY] = self._family_headers(viewer)
        return JSONResponse(self._status_json(status, base_url(request), viewer))

    def _account_json(self, account: Account, base: str) -> dict[str, Any]:
        url = f"{base}/@{account.username}"
        created = datetime.fromtimestamp(account.created_at, UTC).strftime("%Y-%m-%dT00:00:00.000Z")
        statuses = [s for s in self.state.statuses.values() if s.account_id == account.id]
        live = [s for s in statuses if not s.deleted]
        last = max((s.created_at for s in live), default=None)
        return {
            "id": account.id,
            "username": account.username,
            "acct": account.username,
            "display_name": account.display_name,
            "locked": False,
            "bot": False,
            "discoverable": True,
            "indexable": False,
            "group": False,
            "created_at": created,
            "note": "",
            "url": url,
            "uri": f"{base}/users/{account.username}",
            "avatar": f"{base}/avatars/original/missing.png",
            "avatar_static": f"{base}/avatars/original/missing.png",
            "header": f"{base}/headers/original/missing.png",
            "header_static": f"{base}/headers/original/missing.png",
            "followers_count": 0,
            "following_count": 0,
            "statuses_count": len(live),
            "last_status_at": datetime.fromtimestamp(last, UTC).strftime("%Y-%m-%d")
            if last
            else None,
            "hide_collections": None,
            "noindex": False,
            "emojis": [],
            "roles": [],
            "fields": [],
        }

    def _media_json(self, media: Media, base: str) -> dict[str, Any]:
        partition = "/".join(media.id[i : i + 3] for i in range(0, min(len(media.id), 18), 3))
        extension = {"image/png": "png", "image/gif": "mp4", "image/webp": "webp"}.get(
            media.mime, "jpg"
        )
        path = f"{base}/system/media_attachments/files/{partition}"
        meta: dict[str, Any] | None = None
        if media.width and media.height:
            original = {
                "width": media.width,
                "height": media.height,
                "size": f"{media.width}x{media.height}",
                "aspect": media.width / media.height,
            }
            meta = {"original": original, "small": dict(original)}
            if media.focus is not None:
                meta["focus"] = {"x": media.focus[0], "y": media.focus[1]}
        processed = media.processing == "complete"
        return {
            "id": media.id,
            "type": media.type,
            "url": f"{path}/original/{media.sha256[:16]}.{extension}" if processed else None,
            "preview_url": f"{path}/small/{media.sha256[:16]}.{extension}",
            "remote_url": None,
            "preview_remote_url": None,
            "text_url": None,
            "meta": meta,
            "description": media.description,
            "blurhash": BLURHASH,
        }

    def _status_json(self, status: Status, base: str, viewer: Account | None) -> dict[str, Any]:
        account = self.state.accounts[status.account_id]
        own = viewer is not None and viewer.id == account.id
        body: dict[str, Any] = {
            "id": status.id,
            "created_at": iso_time(status.created_at),
            "in_reply_to_id": status.in_reply_to_id,
            "in_reply_to_account_id": None,
            "sensitive": status.sensitive,
            "spoiler_text": status.spoiler_text,
            "visibility": status.visibility,
            "language": status.language,
            "uri": f"{base}/users/{account.username}/statuses/{status.id}",
            "url": f"{base}/@{account.username}/{status.id}",
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "quotes_count": 0,
            "edited_at": iso_time(status.edited_at) if status.edited_at else None,
            "content": render_content(status.text, base),
            "reblog": None,
            "application": {"name": "Web", "website": None},
            "account": self._account_json(account, base),
            "media_attachments": [
                self._media_json(self.state.media[m], base)
                for m in status.media_ids
                if m in self.state.media
            ],
            "mentions": [],
            "tags": [
                {"name": t.lower(), "url": f"{base}/tags/{t.lower()}"}
                for t in hashtags(status.text)
            ],
            "emojis": [],
            "quote": None,
            "card": None,
            "poll": None,
        }
        if viewer is not None:
            body.update({"favourited": False, "reblogged": False, "muted": False})
            body.update({"bookmarked": False, "filtered": []})
        if own and status.visibility in ("public", "unlisted", "private"):
            body["pinned"] = False
        return body


class _RackAttack:
    """`Rack::Attack` in front of the app: throttles, then `X-RateLimit-*` on API answers
    (the lower of the throttle's and the statuses family's remaining calls)."""

    def __init__(self, sim: MastodonSimulator, app: ASGIApp) -> None:
        self.sim = sim
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        answer, data = self.sim.throttle(scope)
        if answer is not None:
            await answer(scope, receive, send)
            return
        base = self.sim.rate_limit_headers(data)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = dict(base)
                family = scope.get(FAMILY_HEADERS_KEY) or {}
                if family and (
                    not headers
                    or int(family["X-RateLimit-Remaining"]) <= int(headers["X-RateLimit-Remaining"])
                ):
                    headers = dict(family)
                raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
                message = {**message, "headers": [*message.get("headers", []), *raw]}
            await send(message)

        await self.app(scope, receive, with_headers)


_POLLS = {
    "max_options": 4,
    "max_characters_per_option": 50,
    "min_expiration": 300,
    "max_expiration": 2629746,
}


async def _render_answer(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, MastodonAnswer)
    return JSONResponse(exc.body, exc.status, headers=exc.headers)


async def _render_routing_error(request: Request, exc: Exception) -> Response:
    """Unknown routes end in `raise_not_found`: JSON for API clients, HTML otherwise."""
    assert isinstance(exc, HTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    if "json" in request.headers.get("accept", ""):
        return JSONResponse({"error": phrase}, exc.status_code)
    return HTMLResponse(f"<html><body><h1>{phrase}</h1></body></html>", exc.status_code)


async def _request_params(request: Request, method: str) -> dict[str, Any]:
    """Query and body parameters merged, as Rails' `params` does."""
    pairs: list[tuple[str, Any]] = list(parse_qsl(request.url.query, keep_blank_values=True))
    params = rails_params(pairs)
    if method not in MUTATING_METHODS:
        return params
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/json":
        params.update(parse_json_body(await request.body()))
    elif media_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.form()
        fields: list[tuple[str, Any]] = []
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                fields.append(
                    (key, UploadedFile(value.filename or "", value.content_type or "", data))
                )
            else:
                fields.append((key, value))
        params.update(rails_params(fields))
    return params


def _log_params(request: Request, params: dict[str, Any]) -> None:
    """Record the parameters (file contents left out) in the request log."""
    loggable: dict[str, str] = {}
    for key, value in params.items():
        if isinstance(value, UploadedFile):
            loggable[key] = f"<{value.filename}: {len(value.data)} bytes>"
        elif isinstance(value, list | dict):
            loggable[key] = repr(value)
        else:
            loggable[key] = str(value)
    key = request.headers.get("idempotency-key")
    if key:
        loggable["Idempotency-Key"] = key
    add_params(request.scope, loggable)


def _focus(value: Any) -> tuple[float, float] | None:
    if isinstance(value, list) and len(value) == 2:
        parts = value
    elif isinstance(value, str) and "," in value:
        parts = value.split(",", 1)
    else:
        return None
    try:
        return (float(parts[0]), float(parts[1]))
    except (TypeError, ValueError):
        return None


def _limit(raw: Any) -> int:
    """`limit_param(DEFAULT_STATUSES_LIMIT)`: default 20, at most 40."""
    if raw in (None, ""):
        return DEFAULT_PAGE
    try:
        return min(abs(int(str(raw))), MAX_PAGE)
    except ValueError:
        return 0


def _paginate(statuses: list[Status], limit: int, params: dict[str, Any]) -> list[Status]:
    """`paginate_by_id`: newest first; `min_id` pages forward (the oldest newer ones)."""
    max_id, since_id, min_id = (_int_param(params.get(k)) for k in ("max_id", "since_id", "min_id"))
    chosen = [
        s
        for s in statuses
        if (max_id is None or int(s.id) < max_id)
        and (since_id is None or int(s.id) > since_id)
        and (min_id is None or int(s.id) > min_id)
    ]
    if min_id is not None:
        return sorted(chosen, key=lambda s: int(s.id))[:limit][::-1]
    return sorted(chosen, key=lambda s: int(s.id), reverse=True)[:limit]


def _int_param(value: Any) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None


def _link_header(request: Request, page: list[Status], limit: int, params: dict[str, Any]) -> str:
    """`insert_pagination_headers`: next (older) when the page is full, prev (newer)."""
    if not page:
        return ""
    base = f"{base_url(request)}{request.url.path}"
    keep = {k: str(v) for k, v in params.items() if k in ("limit", "only_media", "exclude_replies")}
    links = []
    if len(page) == limit:
        links.append(f'<{base}?{urlencode({**keep, "max_id": page[-1].id})}>; rel="next"')
    links.append(f'<{base}?{urlencode({**keep, "min_id": page[0].id})}>; rel="prev"')
    return ", ".join(links)


def _client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


def _is_media_upload(path: str) -> bool:
    parts = path.strip("/").split("/")
    return len(parts) == 3 and parts[0] == "api" and parts[1][:1] == "v" and parts[2] == "media"


def _is_status_path(path: str) -> bool:
    parts = path.strip("/").split("/")
    return len(parts) == 4 and parts[:3] == ["api", "v1", "statuses"] and parts[3].isdigit()
