"""The Mastodon-API endpoints as Mastodon answers them, read in its own code (sources in
`sandbox/FIDELITY.md`).

`MastodonMethods` implements the core's `ApiMethods` with Mastodon's rules: Doorkeeper
scopes per endpoint, uploads processed at once or later (v2 answers 202 with `url: null`
and GET on the media 206 until done), GET/PUT only of the caller's unattached media,
`PostStatusService` (an Idempotency-Key repeat returns the first status, media own,
unattached, processed and at most four, text counted the Mastodon way, `direct`
visibility, silenced accounts' public posts unlisted), `UpdateStatusService` (every option
set from what is sent, alt text through `media_attributes`, an unchanged edit is no edit),
`RemoveStatusService` (invisible at once, media released for a redraft or destroyed),
`paginate_by_id` with a `Link` header, and 422 for what fails validation. It also has
endpoints pixelfed lacks: DELETE of an unattached media and a status's `/source`.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.mastodon_api.answers import base_url, error_answer
from sandbox.mastodon_api.paging import PagingRules, page_of
from sandbox.mastodon_api.requests import UploadedFile, image_size, sniff_mime
from sandbox.mastodon_api.server import ApiMethods, RouteSpec
from sandbox.mastodon_entities import (
    account_json,
    instance_v1,
    instance_v2,
    media_json,
    status_json,
)
from sandbox.mastodon_errors import (
    FILE_TYPE_ERROR,
    IN_USAGE_ERROR,
    MEDIA_NOT_FOUND,
    NOT_READY,
    PROCESSING_ERROR,
    REPLY_NOT_FOUND,
    TOO_MANY_FILES,
    invalid_token,
    not_found,
    record_not_found,
    validation_error,
    validation_failed,
)
from sandbox.mastodon_rate_limits import FAMILY_HEADERS_KEY
from sandbox.mastodon_requests import (
    cast_boolean,
    focus_param,
    id_list,
    page_request,
    truthy_param,
)
from sandbox.mastodon_state import (
    AUDIO_MIME_TYPES,
    IMAGE_MIME_TYPES,
    VIDEO_MIME_TYPES,
    VISIBILITIES,
    Account,
    Media,
    Status,
    StatusEdit,
)
from sandbox.mastodon_text import human_size, status_length

if TYPE_CHECKING:
    from sandbox.mastodon_server import MastodonSimulator

MASTODON_PAGING = PagingRules(
    min_id_pages_forward=True, min_id_overrides_max_id=False, honours_since_id=True
)
"""`Paginable#paginate_by_id`: all three bounds apply; `min_id` gives the oldest statuses
above it (newest first), so a client can page forward from a known id."""


class MastodonMethods(ApiMethods):
    """The endpoints of one Mastodon simulator."""

    def __init__(self, sim: MastodonSimulator) -> None:
        self.sim = sim

    def mastodon_routes(self) -> list[RouteSpec]:
        """The endpoints pixelfed lacks."""
        return [
            ("/api/v1/media/{media_id}", "DELETE", self.destroy_media),
            ("/api/v1/statuses/{status_id}/source", "GET", self.status_source),
        ]

    # --- instance ---------------------------------------------------------------------------

    def instance_v1(self, request: Request, params: dict[str, Any]) -> Response:
        return JSONResponse(instance_v1(request, self.sim.settings, self.sim.stats()))

    def instance_v2(self, request: Request, params: dict[str, Any]) -> Response:
        if not self.sim.settings.v2_instance:
            raise HTTPException(404)
        users = len(self.sim.state.accounts)
        return JSONResponse(instance_v2(request, self.sim.settings, users))

    # --- accounts -------------------------------------------------------------------------

    def verify_credentials(self, request: Request, params: dict[str, Any]) -> Response:
        account = self.sim.doorkeeper_authorize(request, "profile", "read", "read:accounts")
        body = account_json(self.sim.state, account, base_url(request))
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

    def account_statuses(self, request: Request, params: dict[str, Any]) -> Response:
        viewer = self.sim.authorize_if_got_token(request, "read", "read:statuses")
        account = self.sim.state.accounts.get(request.path_params["account_id"])
        if account is None:
            raise record_not_found()
        statuses = [
            s
            for s in self.sim.state.statuses.values()
            if s.account_id == account.id and not s.deleted and self._listable(s, viewer)
        ]
        if truthy_param(params.get("only_media")):
            statuses = [s for s in statuses if s.media_ids]
        if truthy_param(params.get("exclude_replies")):
            statuses = [s for s in statuses if s.in_reply_to_id is None]
        asked = page_request(params)
        page = page_of(statuses, asked, MASTODON_PAGING)
        base = base_url(request)
        response = JSONResponse([status_json(self.sim.state, s, base, viewer) for s in page])
        link = _link_header(request, page, asked.limit, params)
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

    def upload_v1(self, request: Request, params: dict[str, Any]) -> Response:
        media = self._create_media(request, params, delay=False)
        return JSONResponse(media_json(media, base_url(request)))

    def upload_v2(self, request: Request, params: dict[str, Any]) -> Response:
        if not self.sim.settings.v2_media:
            raise HTTPException(404)
        media = self._create_media(request, params, delay=True)
        status = 202 if media.processing != "complete" else 200
        return JSONResponse(media_json(media, base_url(request)), status)

    def _create_media(self, request: Request, params: dict[str, Any], delay: bool) -> Media:
        account = self.sim.doorkeeper_authorize(request, "write", "write:media")
        upload = params.get("file")
        if not isinstance(upload, UploadedFile) or not upload.data:
            raise validation_failed("File can't be blank")
        s = self.sim.settings
        mime = sniff_mime(upload.data)
        if mime.startswith("image/"):
            size = image_size(upload.data, verify=True)
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
        now = self.sim.now()
        kind = "gifv" if mime == "image/gif" else mime.split("/")[0]
        later = delay and (kind != "image" or s.delay_image_processing)
        media = Media(
            id=self.sim.ids.next(now),
            account_id=account.id,
            mime=mime,
            type=kind if kind in ("image", "gifv", "video", "audio") else "unknown",
            size=len(upload.data),
            sha256=hashlib.sha256(upload.data).hexdigest(),
            description=description if isinstance(description, str) and description else None,
            created_at=now,
            width=size[0] if size else None,
            height=size[1] if size else None,
            focus=focus_param(params.get("focus")),
            processing="queued" if later else "complete",
            ready_at=now + s.processing_seconds if later else now,
        )
        if not later and media.sha256 in s.failing_media_sha256:
            media.processing = "failed"
        self.sim.state.media[media.id] = media
        self.sim.after_mutation(request)
        return media

    def _own_unattached_media(self, request: Request) -> Media:
        """`set_media_attachment` and `check_processing` of Api::V1::MediaController."""
        account = self.sim.doorkeeper_authorize(request, "write", "write:media")
        media = self.sim.own_unattached_media(account.id, request.path_params["media_id"])
        if media is None:
            raise record_not_found()
        if media.processing == "failed":
            raise validation_error(PROCESSING_ERROR)
        return media

    def show_media(self, request: Request, params: dict[str, Any]) -> Response:
        media = self._own_unattached_media(request)
        status = 206 if media.processing != "complete" else 200
        return JSONResponse(media_json(media, base_url(request)), status)

    def update_media(self, request: Request, params: dict[str, Any]) -> Response:
        media = self._own_unattached_media(request)
        if "description" in params:
            self._set_description(media, params.get("description"))
        if "focus" in params:
            media.focus = focus_param(params.get("focus"))
        self.sim.after_mutation(request)
        status = 206 if media.processing != "complete" else 200
        return JSONResponse(media_json(media, base_url(request)), status)

    def _set_description(self, media: Media, description: Any) -> None:
        text = description if isinstance(description, str) else None
        limit = self.sim.settings.description_limit
        if text is not None and len(text) > limit:
            raise validation_failed(f"Description is too long (maximum is {limit} characters)")
        media.description = text or None

    def destroy_media(self, request: Request, params: dict[str, Any]) -> Response:
        """DELETE /api/v1/media/{id}: only an unattached media of the caller's."""
        account = self.sim.doorkeeper_authorize(request, "write", "write:media")
        media = self.sim.state.media.get(request.path_params["media_id"])
        if media is None or media.account_id != account.id:
            raise record_not_found()
        if media.status_id is not None:
            raise validation_error(IN_USAGE_ERROR)
        self.sim.destroy_media(media.id)
        self.sim.after_mutation(request)
        return JSONResponse({})

    # --- statuses: create (PostStatusService) ---------------------------------------------

    def create_status(self, request: Request, params: dict[str, Any]) -> Response:
        account = self.sim.doorkeeper_authorize(request, "write", "write:statuses")
        reply_to = params.get("in_reply_to_id")
        if reply_to not in (None, ""):
            thread = self.sim.state.statuses.get(str(reply_to))
            if thread is None or thread.deleted or not self._visible_to(thread, account):
                raise error_answer(404, REPLY_NOT_FOUND)
        key = request.headers.get("idempotency-key", "")
        remembered = key and self.sim.state.idempotency.recall(account.id, key, self.sim.now())
        if remembered:
            # `idempotency_duplicate`: the status the key made, before any validation.
            status = self.sim.state.statuses.get(remembered.status_id or "")
            if status is None or status.deleted:
                raise record_not_found()
            self.sim.after_mutation(request)  # the repeat's answer can be lost too
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
        self.sim.rate_limits.record_family(request, account, "statuses")
        now = self.sim.now()
        status = Status(
            id=self.sim.ids.next(now),
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
        self.sim.store_status(status, media)
        if key:
            until = now + self.sim.settings.idempotency_seconds
            self.sim.state.idempotency.remember(account.id, key, status.id, until)
        self.sim.after_mutation(request)
        return self._status_response(request, status, account)

    def _validate_media(self, account: Account, raw: Any, status: Status | None) -> list[Media]:
        """`validate_media!`: own media, unattached (or on this status when editing),
        at most four, processed, no video beside images."""
        ids = id_list(raw)
        if not ids:
            return []
        limit = self.sim.settings.max_media_attachments
        if len(ids) > limit:
            raise validation_error(TOO_MANY_FILES.format(limit=limit))
        holders = (None,) if status is None else (None, status.id)
        found: dict[str, Media] = {}
        for media_id in ids[:limit]:
            candidate = self.sim.state.media.get(media_id.strip())
            if (
                candidate is not None
                and candidate.account_id == account.id
                and candidate.status_id in holders
            ):
                found[candidate.id] = candidate
        missing = [i for i in ids if i.strip() not in found]
        if missing:
            raise validation_error(MEDIA_NOT_FOUND.format(ids=", ".join(missing)))
        chosen = [found[i.strip()] for i in ids if i.strip() in found]
        unique = list(dict.fromkeys(m.id for m in chosen))
        media = [self.sim.state.media[i] for i in unique]
        if len(media) > 1 and any(m.type in ("video", "audio") for m in media):
            raise validation_error("Cannot attach a video to a post that already contains images")
        if any(m.processing != "complete" for m in media):
            raise validation_error(NOT_READY)
        return media

    def _validate_status(self, text: str, spoiler: str, with_media: bool, visibility: Any) -> None:
        problems = []
        if not text.strip() and not with_media:
            problems.append("Text can't be blank")
        max_chars = self.sim.settings.max_characters
        if status_length(text, spoiler) > max_chars:
            problems.append(f"Text character limit of {max_chars} exceeded")
        if visibility not in VISIBILITIES:
            problems.append("Visibility is not included in the list")
        if problems:
            raise validation_failed(*problems)

    # --- statuses: read, source -----------------------------------------------------------

    def show_status(self, request: Request, params: dict[str, Any]) -> Response:
        viewer = self.sim.authorize_if_got_token(request, "read", "read:statuses")
        status = self._findable_status(request.path_params["status_id"], viewer)
        return self._status_response(request, status, viewer, family=False)

    def status_source(self, request: Request, params: dict[str, Any]) -> Response:
        if not self.sim.settings.status_source:
            raise HTTPException(404)
        record = self.sim.bearer_record(dict(request.scope["headers"]))
        if record is None:
            raise invalid_token("The access token is invalid")
        self.sim.check_token(record, ("read", "read:statuses"))
        viewer = self.sim.state.accounts.get(record.account_id)
        status = self._findable_status(request.path_params["status_id"], viewer)
        return JSONResponse(
            {"id": status.id, "text": status.text, "spoiler_text": status.spoiler_text}
        )

    def _findable_status(self, status_id: str, viewer: Account | None) -> Status:
        """`set_status`: missing, deleted or not shown to the viewer -> 404 "Not Found"."""
        status = self.sim.state.statuses.get(status_id)
        if status is None or status.deleted or not self._visible_to(status, viewer):
            raise not_found()
        return status

    def _visible_to(self, status: Status, viewer: Account | None) -> bool:
        """`StatusPolicy#show?` without follows and mentions (the simulator has neither)."""
        if viewer is not None and viewer.id == status.account_id:
            return True
        return status.visibility in ("public", "unlisted")

    # --- statuses: edit (UpdateStatusService) ---------------------------------------------

    def update_status(self, request: Request, params: dict[str, Any]) -> Response:
        account = self.sim.doorkeeper_authorize(request, "write", "write:statuses")
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
        self.sim.rate_limits.record_family(request, account, "statuses")
        if not status.edits:
            status.edits.append(self._snapshot(status, status.created_at, counted=False))
        for target, description, focus in attributes:
            target.description, target.focus = description, focus
        for item in media:
            item.status_id = status.id
        status.text, status.spoiler_text, status.sensitive, status.media_ids = after
        status.edited_at = self.sim.now()
        status.edits.append(self._snapshot(status, self.sim.now(), counted=True))
        self.sim.after_mutation(request)
        return self._status_response(request, status, account)

    def _media_attributes(
        self, media: list[Media], raw: Any
    ) -> list[tuple[Media, str | None, tuple[float, float] | None]]:
        """`media_attributes[]`: new description and focus of media in the new list only
        (others are ignored), validated like `media.update!`."""
        planned = []
        by_id = {m.id: m for m in media}
        limit = self.sim.settings.description_limit
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
            focus = focus_param(attributes.get("focus")) if "focus" in attributes else target.focus
            planned.append((target, description, focus))
        return planned

    def _snapshot(self, status: Status, at: float, counted: bool) -> StatusEdit:
        return StatusEdit(
            text=status.text,
            spoiler_text=status.spoiler_text,
            sensitive=status.sensitive,
            media_ids=list(status.media_ids),
            media_descriptions=[
                self.sim.state.media[m].description if m in self.sim.state.media else None
                for m in status.media_ids
            ],
            created_at=at,
            counted=counted,
        )

    def _own_status(self, account: Account, status_id: str) -> Status:
        """`Status.where(account: current_account).find(id)`."""
        status = self.sim.state.statuses.get(status_id)
        if status is None or status.deleted or status.account_id != account.id:
            raise record_not_found()
        return status

    # --- statuses: delete (RemoveStatusService) -------------------------------------------

    def delete_status(self, request: Request, params: dict[str, Any]) -> Response:
        account = self.sim.doorkeeper_authorize(request, "write", "write:statuses")
        status = self._own_status(account, request.path_params["status_id"])
        body = status_json(self.sim.state, status, base_url(request), account)
        body["text"] = status.text
        body.pop("content")
        status.deleted_at = self.sim.now()
        status.redraft = not (
            self.sim.settings.delete_media_param and truthy_param(params.get("delete_media"))
        )
        status.removal_due = self.sim.now() + self.sim.settings.removal_delay_seconds
        if self.sim.settings.removal_delay_seconds <= 0:
            self.sim.remove(status)
        self.sim.after_mutation(request)
        return JSONResponse(body)

    def _status_response(
        self, request: Request, status: Status, viewer: Account | None, family: bool = True
    ) -> Response:
        if family and viewer is not None and FAMILY_HEADERS_KEY not in request.scope:
            request.scope[FAMILY_HEADERS_KEY] = self.sim.rate_limits.family_headers(viewer)
        return JSONResponse(status_json(self.sim.state, status, base_url(request), viewer))


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
