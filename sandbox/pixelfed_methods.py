"""The Mastodon-API endpoints as pixelfed answers them (reference platform-apis.md C3-C9).

`PixelfedMethods` implements the core's `ApiMethods` with pixelfed's own rules, read in
its code (sources in `sandbox/FIDELITY.md`): Laravel validation whose failures the
exception handler turns into 500s, `statusCreate`'s order of checks (Idempotency-Key
consumed before the post exists, 400 "Invalid media_ids", `strip_tags` on the caption,
60 hashtags), edits through `UpdateStatusService` (purified caption, media only removed or
reordered, empty answer for posts that are not public), alt text changed with PUT on the
media, `[]` answers to accounts that were never active and the calls that mark them
active, no `direct` visibility, and `accountStatusesById`'s paging.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.mastodon_api.answers import (
    POLLS,
    base_url,
    error_answer,
    statuses_configuration,
)
from sandbox.mastodon_api.paging import DEFAULT_LIMIT, MAX_LIMIT, PageRequest, PagingRules, page_of
from sandbox.mastodon_api.requests import UploadedFile, image_size, sniff_mime
from sandbox.mastodon_api.server import ApiMethods
from sandbox.pixelfed_entities import account_json, media_json, status_json
from sandbox.pixelfed_errors import Abort, ModelNotFound, Unauthorized
from sandbox.pixelfed_requests import Validator, as_list, normalised_id, parse_bool
from sandbox.pixelfed_state import DAY, VERSION, VISIBILITIES, Account, Media, Status
from sandbox.pixelfed_text import extract_tags, php_strip_tags, purify, render_caption

if TYPE_CHECKING:
    from sandbox.pixelfed_server import PixelfedSimulator

WRITE_SCOPE = "write"
READ_SCOPE = "read"
MEDIA_UPDATE_DECAY_SECONDS = 60.0
REPLACED_MEDIA_DELAY_SECONDS = 900.0
PIXELFED_PAGING = PagingRules(
    min_id_pages_forward=False, min_id_overrides_max_id=True, honours_since_id=False
)
"""`accountStatusesById` (C9): `min_id` wins over `max_id` and gives the newest page above
it (`where id > min_id order by id desc limit`), not the page just above it as Mastodon
does; `since_id` is ignored."""


class PixelfedMethods(ApiMethods):
    """The shared endpoints of one pixelfed simulator."""

    def __init__(self, sim: PixelfedSimulator) -> None:
        self.sim = sim
        self._v1_instance_cache: tuple[float, dict[str, Any]] | None = None
        self._v2_instance_cache: tuple[float, dict[str, Any]] | None = None
        self._media_update_windows: dict[str, tuple[float, int]] = {}

    # --- instance and account (C3, C4) ------------------------------------------------------

    def instance_v1(self, request: Request, params: dict[str, Any]) -> Response:
        now = self.sim.now()
        cached = self._v1_instance_cache
        if cached is None or now - cached[0] >= self.sim.settings.v1_instance_cache_seconds:
            cached = (now, self._instance_v1_body(request))
            self._v1_instance_cache = cached
        return JSONResponse(cached[1])

    def _instance_v1_body(self, request: Request) -> dict[str, Any]:
        s = self.sim.settings
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
            "stats": self.sim.stats(),
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
                "statuses": statuses_configuration(
                    s.max_caption_length, s.v1_max_album_length or s.max_album_length
                ),
                "polls": POLLS,
            },
        }

    def instance_v2(self, request: Request, params: dict[str, Any]) -> Response:
        if not self.sim.settings.v2_instance:
            raise HTTPException(404)
        now = self.sim.now()
        cached = self._v2_instance_cache
        if cached is None or now - cached[0] >= self.sim.settings.v2_instance_cache_seconds:
            cached = (now, self._instance_v2_body(request))
            self._v2_instance_cache = cached
        return JSONResponse(cached[1])

    def _instance_v2_body(self, request: Request) -> dict[str, Any]:
        s = self.sim.settings
        base = base_url(request)
        thumbnail = f"{base}/img/pixelfed-icon-color.png"
        return {
            "domain": request.url.netloc,
            "title": s.instance_title,
            "version": VERSION,
            "source_url": "https://github.com/pixelfed/pixelfed",
            "description": "A simulated pixelfed instance",
            "usage": {"users": {"active_month": len(self.sim.state.accounts)}},
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
                "statuses": statuses_configuration(s.max_caption_length, s.max_album_length),
                "media_attachments": {
                    "supported_mime_types": list(s.media_types),
                    "image_size_limit": s.max_photo_size_kb * 1024,
                    "image_matrix_limit": 3686400,
                    "video_size_limit": s.max_photo_size_kb * 1024,
                    "video_frame_rate_limit": 120,
                    "video_matrix_limit": 3686400,
                },
                "polls": POLLS,
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

    def _mark_active(self, account: Account) -> None:
        """`AccountService::setLastActive`, which verify_credentials and most v1 calls run:
        an account that never signed in on the web becomes active through the API too."""
        account.last_active_at = self.sim.now()

    def verify_credentials(self, request: Request, params: dict[str, Any]) -> Response:
        account = self.sim.authenticate(request, READ_SCOPE)
        if account.suspended:
            raise Abort(403)
        self._mark_active(account)
        body = account_json(self.sim.state, account, base_url(request))
        body["source"] = {
            "privacy": "private" if account.is_private else "public",
            "sensitive": False,
            "language": "en",
            "note": "",
            "fields": [],
        }
        return JSONResponse(body)

    # --- media (C5, C6) ---------------------------------------------------------------------

    def upload_v1(self, request: Request, params: dict[str, Any]) -> Response:
        media = self._upload(request, params, marks_active=True)
        if media is None:
            return JSONResponse([])
        return JSONResponse(media_json(media, base_url(request), processed=False))

    def upload_v2(self, request: Request, params: dict[str, Any]) -> Response:
        media = self._upload(request, params, marks_active=False)
        if media is None:
            return JSONResponse([])
        body = media_json(media, base_url(request), processed=False)
        body["url"] = None
        return JSONResponse(body, 202)

    def _upload(self, request: Request, params: dict[str, Any], marks_active: bool) -> Media | None:
        """Store an upload; None for the `[]` answer to an inactive account (C1).

        v1 marks the account active before it checks, but checks the user it loaded before
        that: the first upload still gets `[]`, the next one works. v2 does not mark it."""
        account = self.sim.authenticate(request, WRITE_SCOPE)
        self._validate_upload(params)
        inactive = account.last_active_at is None
        if marks_active:
            self._mark_active(account)
        if inactive and self.sim.settings.empty_answer_when_inactive:
            return None
        upload: UploadedFile = params["file"]
        self._check_upload_limits(account, upload.data)
        media = Media(
            id=self.sim.next_media_id(),
            account_id=account.id,
            size=len(upload.data),
            sha256=hashlib.sha256(upload.data).hexdigest(),
            mime=sniff_mime(upload.data),
            description=params.get("description") or None,
            created_at=self.sim.now(),
        )
        media.width, media.height = image_size(upload.data) or (None, None)
        self.sim.state.media[media.id] = media
        self._schedule_replacement(account, params.get("replace_id"))
        self.sim.after_mutation(request)
        return media

    def _validate_upload(self, params: dict[str, Any]) -> None:
        s = self.sim.settings
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
        s = self.sim.settings
        since = self.sim.now() - DAY
        own_media = [m for m in self.sim.state.media.values() if m.account_id == account.id]
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
        old = self.sim.state.media.get(str(replace_id)) if replace_id else None
        if (
            old is not None
            and old.account_id == account.id
            and old.status_id is None
            and self.sim.now() - old.created_at < 2 * 3600
        ):
            old.delete_at = self.sim.now() + REPLACED_MEDIA_DELAY_SECONDS

    def show_media(self, request: Request, params: dict[str, Any]) -> Response:
        account = self.sim.authenticate(request, READ_SCOPE)
        self._mark_active(account)
        media_id = request.path_params["media_id"]
        # Only the caller's unattached media can be read (C6).
        media = self.sim.own_unattached_media(account.id, media_id)
        if media is None:
            raise ModelNotFound("Media", media_id)
        return JSONResponse(media_json(media, base_url(request)))

    def update_media(self, request: Request, params: dict[str, Any]) -> Response:
        # A multipart PUT body arrives empty (PHP does not parse it, see parse_body), so
        # `description` is missing and the alt text is overwritten with null (C6, #5014).
        # JSON and urlencoded bodies work. Attached media can be changed too (unlike
        # Mastodon): this is pixelfed's way to edit alt text after publishing.
        # The description is stored as HTML Purifier cleans it: `&`, `<`, `>` escaped, tags
        # other than a/p/span/br removed; a missing one (or "", which Laravel turns into
        # null) is stored as "".
        account = self.sim.authenticate(request, WRITE_SCOPE)
        check = Validator(params)
        check.string("description", self.sim.settings.max_alt_text_length)
        check.check()
        self._mark_active(account)
        media_id = request.path_params["media_id"]
        media = self.sim.state.media.get(media_id)
        if media is None or media.account_id != account.id:
            raise ModelNotFound("Media", media_id)
        self._count_media_update(account)
        media.description = purify(
            params.get("description") or None, self.sim.settings.purifier_collapses_whitespace
        )
        self.sim.after_mutation(request)
        return JSONResponse(media_json(media, base_url(request)))

    def _count_media_update(self, account: Account) -> None:
        """Laravel's RateLimiter: N attempts per user in a fixed 60 s window (C2)."""
        limit = self.sim.settings.media_update_per_minute
        if limit is None:
            return
        now = self.sim.now()
        start, attempts = self._media_update_windows.get(account.id, (now, 0))
        if now - start >= MEDIA_UPDATE_DECAY_SECONDS:
            start, attempts = now, 0
        if attempts >= limit:
            raise error_answer(429, "Too many attempts. Try again in a few minutes.")
        self._media_update_windows[account.id] = (start, attempts + 1)

    # --- statuses (C7, C8, C9) --------------------------------------------------------------

    def create_status(self, request: Request, params: dict[str, Any]) -> Response:
        account = self.sim.authenticate(request, WRITE_SCOPE)
        self._validate_new_status(params)
        key = self._consume_idempotency_key(request, account)
        media_ids = params.get("media_ids") or []
        reply_to = params.get("in_reply_to_id") or None
        if not media_ids and not reply_to:
            raise Abort(403, "Empty statuses are not allowed")
        if not reply_to:
            self._check_daily_status_cap(account)
        visibility = self._effective_visibility(account, params.get("visibility") or "public")
        if account.last_active_at is None and self.sim.settings.empty_answer_when_inactive:
            return JSONResponse([])
        if reply_to and self.sim.readable_status(str(reply_to)) is None:
            raise ModelNotFound("Status", str(reply_to))
        attachments = self._claimable_media(account, as_list(media_ids)) if media_ids else []
        status = self._store_status(account, params, visibility, attachments, request)
        status.idempotency_key = key
        self.sim.after_mutation(request)
        body = status_json(self.sim.state, status, base_url(request))
        # statusCreate sets these on its answer; reads of the same status lack them.
        body.update({"language": "en", "card": None})
        return JSONResponse(body)

    def _validate_new_status(self, params: dict[str, Any]) -> None:
        s = self.sim.settings
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
        keys, now = self.sim.state.idempotency, self.sim.now()
        hashed = hashlib.sha1(header.encode()).hexdigest()
        if keys.recall(account.id, hashed, now) is not None:
            raise Abort(400, "Duplicate idempotency key.")
        keys.remember(account.id, hashed, None, now + self.sim.settings.idempotency_window_seconds)
        return header

    def _check_daily_status_cap(self, account: Account) -> None:
        cap = self.sim.settings.daily_status_cap
        if cap is None:
            return
        since = self.sim.now() - DAY
        recent = sum(
            1
            for s in self.sim.state.statuses.values()
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
            return self.sim.own_unattached_media(account.id, normalised_id(raw) or "")

        if not any(claimable(raw) for raw in raw_ids):
            raise Abort(400, "Invalid media_ids")
        claimed: list[Media] = []
        for raw in raw_ids[: self.sim.settings.max_album_length]:
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
            id=self.sim.next_status_id(),
            account_id=account.id,
            caption=caption,
            content=render_caption(caption, base_url(request)) or "",
            visibility=visibility,
            media_ids=[m.id for m in attachments],
            created_at=self.sim.now(),
            sensitive=sensitive,
            spoiler_text=str(params.get("spoiler_text") or "") if sensitive else "",
            tags=extract_tags(caption),
            in_reply_to_id=normalised_id(params.get("in_reply_to_id")),
        )
        self.sim.store_status(status, attachments)
        return status

    def show_status(self, request: Request, params: dict[str, Any]) -> Response:
        account = self.sim.authenticate(request, READ_SCOPE)
        self._mark_active(account)
        status = self.sim.readable_status(request.path_params["status_id"])
        if status is None:
            raise Abort(404)
        if status.account_id != account.id and status.visibility == "private":
            raise Abort(403)
        return JSONResponse(status_json(self.sim.state, status, base_url(request)))

    def update_status(self, request: Request, params: dict[str, Any]) -> Response:
        account = self.sim.authenticate(request, WRITE_SCOPE)
        if not self.sim.settings.editing_enabled:
            raise Abort(404, "Post editing is not enabled on this server.")
        status_id = request.path_params["status_id"]
        # StoreStatusEditRequest::authorize(): the caller's own, not a reply, not a draft.
        # A refusal (a missing post included) is an AuthorizationException: 500 (C2).
        status = self.sim.readable_status(status_id)
        if status is None or status.account_id != account.id or status.in_reply_to_id:
            raise Unauthorized()
        self._validate_edit(params, account, status)
        most = self.sim.settings.max_edit_history
        if status.history_rows >= most:
            raise Abort(400, f"You cannot edit your post more than {most} times.")
        self._apply_edit(status, params, base_url(request))
        self.sim.after_mutation(request)
        # The answer is `StatusService::get($id)`, which only sees public posts: an edit of
        # an unlisted or private post is applied and answered 200 with an empty body.
        if status.visibility != "public":
            return Response(b"", 200, media_type="text/html")
        body = status_json(self.sim.state, status, base_url(request), pixelfed_entity=True)
        return JSONResponse(body)

    def _validate_edit(self, params: dict[str, Any], account: Account, status: Status) -> None:
        s = self.sim.settings
        check = Validator(params)
        check.string("status", s.max_caption_length)
        check.string("spoiler_text", s.max_spoiler_length)
        check.boolean("sensitive")
        # Laravel turns "" into null, so an empty `status` counts as absent here.
        if not check.present("status") and not check.present("media_ids"):
            check.fail("media_ids", "The media ids field is required when status is not present.")
        check.array("media_ids", s.max_album_length)
        check.check()
        raw_ids = as_list(params.get("media_ids"))
        # The rule's closure runs `findOrFail($ids)`: a miss is not a validation error.
        media = self.sim.state.media
        bad = [
            str(raw)
            for raw in raw_ids
            if not _usable_in_edit(media.get(normalised_id(raw) or ""), account, status)
        ]
        if bad:
            raise ModelNotFound("Media", ", ".join(bad))

    def _apply_edit(self, status: Status, params: dict[str, Any], base: str) -> None:
        """C8: absent `status` and `spoiler_text` clear them; media only removed/reordered."""
        if len(status.media_ids) >= 2:
            if "media_ids" not in params:
                # UpdateStatusService reads the missing array key and PHP throws.
                raise Abort(500, 'Undefined array key "media_ids"')
            self._reorder_media(status, as_list(params["media_ids"]))
        raw = params.get("status")
        # The same `Purify::clean` as an alt text's (0.12 collapses whitespace there too).
        collapse = self.sim.settings.purifier_collapses_whitespace
        status.caption = purify(str(raw), collapse) if raw else None
        status.content = render_caption(status.caption, base, line_breaks=True)
        status.spoiler_text = purify(str(params.get("spoiler_text") or ""), collapse)
        status.sensitive = bool(parse_bool(params.get("sensitive", False)))
        status.history_rows += 2 if status.history_rows == 0 else 1
        status.edit_count += 1
        status.edited_at = self.sim.now()

    def _reorder_media(self, status: Status, raw_ids: list[Any]) -> None:
        kept: list[str] = []
        for raw in raw_ids:
            media_id = normalised_id(raw)
            if media_id in status.media_ids and media_id not in kept:
                kept.append(media_id)
        for media_id in status.media_ids:
            if media_id not in kept:
                self.sim.destroy_media(media_id)
        status.media_ids = kept

    def delete_status(self, request: Request, params: dict[str, Any]) -> Response:
        account = self.sim.authenticate(request, WRITE_SCOPE)
        self._mark_active(account)
        status_id = request.path_params["status_id"]
        status = self.sim.readable_status(status_id)
        if status is None or status.account_id != account.id:
            raise ModelNotFound("Status", status_id)
        body = status_json(self.sim.state, status, base_url(request))
        body["text"] = body.pop("content")
        if status.deleted_at is None:
            status.deleted_at = self.sim.now()
        if self.sim.deletion_due(status, self.sim.now()):
            self.sim.purge(status)
        self.sim.after_mutation(request)
        return JSONResponse(body)

    def account_statuses(self, request: Request, params: dict[str, Any]) -> Response:
        viewer = self.sim.authenticate(request, READ_SCOPE)
        account = self.sim.state.accounts.get(request.path_params["account_id"])
        if account is None:
            raise error_answer(404, "Account not found")
        candidates = [
            s
            for s in self.sim.state.statuses.values()
            if s.account_id == account.id
            and self.sim.is_readable(s)
            and s.in_reply_to_id is None
            and (viewer.id == account.id or s.visibility != "private")
            and (not parse_bool(params.get("only_media", False)) or s.media_ids)
        ]
        page = page_of(candidates, _page_request(params), PIXELFED_PAGING)
        base = base_url(request)
        return JSONResponse([status_json(self.sim.state, s, base) for s in page])


def _page_request(params: dict[str, Any]) -> PageRequest:
    """`limit` (default 20, at most 40) and the ids as pixelfed reads them: a bound that is
    no positive integer is not there."""
    limit = normalised_id(params.get("limit"))
    max_id, min_id = (normalised_id(params.get(k)) for k in ("max_id", "min_id"))
    return PageRequest(
        limit=min(int(limit), MAX_LIMIT) if limit else DEFAULT_LIMIT,
        max_id=int(max_id) if max_id else None,
        min_id=int(min_id) if min_id else None,
    )


def _usable_in_edit(media: Media | None, account: Account, status: Status) -> bool:
    """C8: the caller's media, unattached or already on this status."""
    if media is None or media.account_id != account.id:
        return False
    return media.status_id in (None, status.id)
