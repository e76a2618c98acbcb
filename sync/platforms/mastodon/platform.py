"""The Mastodon adapter: publish, edit and delete photo posts, and find interrupted ones.

A post is one uploaded media attachment plus one status. The media id exists before the
status, so `add` hands it to the engine's journal at once (as for pixelfed); Mastodon
processes an upload asynchronously when it answers 202 (`url: null`), so `add` polls
`GET /api/v1/media/{id}` (206 while processing) before it creates the status.

The status is created with `Idempotency-Key: <marker>`. Mastodon remembers a key for an
hour and answers a repeat with the status the key made (`PostStatusService`), and a
media can be attached to one status only (`validate_media!`), so repeating the identical
create after a lost answer can never make a second post: it returns the first one, makes
the only one, or is refused because the media is taken (then the status holding it is
looked up). Finding that status is exact: media and status ids are Snowflake ids that
grow with time, so the account's statuses *newer than the media* (`min_id`) are scanned
oldest first, and the scan ends when it has seen all of them.

Differences from pixelfed handled here: `direct` visibility; alt text of a published
photo is changed through the status edit's `media_attributes` (the media endpoint only
changes unattached media); an edit replaces text, content warning, sensitivity and the
media list together, so all of them are always sent as they are; the status text is read
back raw from `/api/v1/statuses/{id}/source`; no edit cap, but edits count against the
300-per-3-hours status limit, so nothing unchanged is sent; a published photo is never
replaced (the platform rule), and a post's visibility cannot be changed by editing.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import time
import warnings
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from sync.error_names import FILE_TOO_LARGE, INVALID_VISIBILITY, RECORD_MISMATCH
from sync.platforms.base import (
    Account,
    AmbiguousError,
    AuthError,
    Checkpoint,
    Limits,
    Outcome,
    PermanentError,
    Platform,
    RateLimiter,
    RemoteRef,
    Tally,
    TransientError,
    holds_media,
    plain_lines,
    read_upload,
    status_ref,
    status_url_names,
)
from sync.platforms.mastodon.api import DELETE, MEDIA, STATUSES, MastodonAPI
from sync.platforms.mastodon.errors import (
    NOT_ON_MASTODON,
    NOT_OURS,
    MediaNotReady,
    MediaUnavailable,
    NotFoundError,
)
from sync.platforms.mastodon.limits import (
    GIF_MAX_PIXELS,
    MIME_OF_FORMAT,
    ServerLimits,
    limits_from_instance,
)
from sync.platforms.mastodon.post import MastodonPost
from sync.platforms.mastodon.settings import NAME, RECORD_KEYS, visibility_problem
from sync.published import Published

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 60.0
PROCESSING_TIMEOUT_SECONDS = 600.0
"""How long `add` waits for Mastodon to process an upload before it gives up for now."""
FIRST_POLL_SECONDS = 1.0
LONGEST_POLL_SECONDS = 10.0
STATUS_PAGE_SIZE = 40
"""Mastodon's maximum `limit` for an account's statuses (twice the default 20)."""
STATUS_PAGES_SCANNED = 25
"""The scan for a status holding a media looks at up to 1,000 newer statuses with media."""

IMAGE_NOT_REPLACED = (
    "the photo was not replaced: a published Mastodon post keeps its photo (only its text "
    "and alt text are updated). To publish the new photo, delete the post (flag it "
    "`_delete`) and add it again"
)


async def _ignore_ids(ids: Mapping[str, str]) -> None:
    return None


class MastodonPlatform(Platform[MastodonPost]):
    """One Mastodon account, reached with a bearer token."""

    name = NAME
    record_keys = RECORD_KEYS

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        limiter: RateLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        processing_timeout: float = PROCESSING_TIMEOUT_SECONDS,
    ) -> None:
        self._api = MastodonAPI(
            base_url,
            token,
            timeout=timeout,
            limiter=limiter,
            transport=transport,
            wall_clock=wall_clock,
        )
        self.base_url = self._api.base_url
        self._sleep = sleep
        self._clock = clock
        self._processing_timeout = processing_timeout
        self._account: Account | None = None
        self._server: ServerLimits | None = None
        self._media_upload_path = "/api/v2/media"
        self._confirmed_own: set[str] = set()
        """Statuses seen as ours just before we deleted them (a lost answer is then done)."""

    # --- login and limits ---------------------------------------------------------------

    async def connect(self) -> Account:
        account = await self.verify_login()
        self._server = None
        await self.limits()
        return account

    async def verify_login(self) -> Account:
        """Who the token belongs to (GET verify_credentials). Raises AuthError."""
        body = await self._api.object("GET", "/api/v1/accounts/verify_credentials", Tally())
        self._account = Account(
            id=str(body["id"]),
            name=str(body.get("acct") or body.get("username") or body["id"]),
            url=str(body.get("url") or ""),
        )
        return self._account

    async def limits(self) -> Limits:
        return (await self.server_limits()).limits

    async def server_limits(self) -> ServerLimits:
        """The limits, plus the pixel limit only the adapter checks (read once)."""
        if self._server is None:
            self._server = limits_from_instance(await self._instance())
        return self._server

    async def _instance(self) -> dict[str, Any]:
        tally = Tally()
        try:
            return await self._api.object("GET", "/api/v2/instance", tally, needs_id=False)
        except NotFoundError:  # Mastodon before 4.0
            log.debug("mastodon has no /api/v2/instance; reading /api/v1/instance")
        return await self._api.object("GET", "/api/v1/instance", tally, needs_id=False)

    async def _account_id(self) -> str:
        return (self._account or await self.verify_login()).id

    # --- add ----------------------------------------------------------------------------

    async def add(
        self,
        post: MastodonPost,
        marker: str,
        checkpoint: Checkpoint = _ignore_ids,
        resume: Mapping[str, str] | None = None,
    ) -> Outcome:
        check_visibility(post.visibility)
        tally = Tally()
        media: dict[str, Any] | None = None
        journaled = (resume or {}).get("media_id", "").strip()
        if journaled:
            media = await self._unattached_media(journaled, tally)
            if media is None:
                # Attached (or gone): an earlier attempt may have posted it. Adopt, never
                # post twice; a media nobody holds is gone, so uploading again is safe.
                adopted = await self._status_with_media(journaled, tally)
                if adopted is not None:
                    return tally.outcome(adopted)
            elif (media.get("description") or "") != post.alt_text:
                media = await self._api.object(
                    "PUT",
                    f"/api/v1/media/{journaled}",
                    tally,
                    json={"description": post.alt_text},
                )
        if media is None:
            await self._check_pixels(post)
            media = await self._upload(post, tally)
            await checkpoint({"media_id": str(media["id"])})
        media_id = str(media["id"])
        if media.get("url") is None:
            await self._wait_until_processed(media_id, tally)
        status = await self._create_status(post, media_id, marker, tally)
        return tally.outcome(status_ref(status, media_id))

    async def _check_pixels(self, post: MastodonPost) -> None:
        """Refuse before uploading what Mastodon refuses after (`check_image_dimension`)."""
        measured = await asyncio.to_thread(_pixels, post.file.path)
        if measured is None:
            return  # not readable here: the server decides
        dimensions, pixels = measured
        limit = (await self.server_limits()).max_pixels
        if post.file.format.upper() == "GIF":
            limit = min(limit, GIF_MAX_PIXELS)
        if pixels > limit:
            raise PermanentError(
                FILE_TOO_LARGE,
                f"{dimensions} is {pixels:,} pixels; this Mastodon server takes at most {limit:,}",
            )

    async def _upload(self, post: MastodonPost, tally: Tally) -> dict[str, Any]:
        data = await read_upload(post.file)
        mime = MIME_OF_FORMAT.get(post.file.format.upper(), "application/octet-stream")
        files = {"file": (post.file.path.name, data, mime)}
        fields = {"description": post.alt_text}
        try:
            return await self._api.object(
                "POST", self._media_upload_path, tally, family=MEDIA, files=files, data=fields
            )
        except NotFoundError:
            if self._media_upload_path == "/api/v1/media":
                raise
        # Servers before 3.1.3 have only the v1 upload, which processes at once.
        self._media_upload_path = "/api/v1/media"
        return await self._api.object(
            "POST", self._media_upload_path, tally, family=MEDIA, files=files, data=fields
        )

    async def _unattached_media(self, media_id: str, tally: Tally) -> dict[str, Any] | None:
        """The caller's media while no status holds it (200 or 206); None once attached
        or gone (`Api::V1::MediaController#set_media_attachment` finds only those)."""
        try:
            return await self._api.object("GET", f"/api/v1/media/{media_id}", tally)
        except NotFoundError:
            return None
        except PermanentError:
            # 422: processing failed. That media can never be posted; upload again.
            log.info("mastodon could not process media %s; uploading again", media_id)
            return None

    async def _wait_until_processed(self, media_id: str, tally: Tally) -> None:
        """Poll GET /api/v1/media/{id} until 200 (206 means still processing)."""
        deadline = self._clock() + self._processing_timeout
        delay = FIRST_POLL_SECONDS
        while True:
            try:
                response = await self._api.request("GET", f"/api/v1/media/{media_id}", tally)
            except NotFoundError:
                raise TransientError(
                    "the uploaded photo disappeared from Mastodon while it was being "
                    "processed; the next attempt uploads it again"
                ) from None
            if response.status_code == 200:
                return
            if self._clock() + delay > deadline:
                raise TransientError(
                    f"Mastodon is still processing the photo after {self._processing_timeout:.0f}"
                    " s; the next attempt continues with the same upload"
                )
            await self._sleep(delay)
            delay = min(delay * 2, LONGEST_POLL_SECONDS)

    async def _create_status(
        self, post: MastodonPost, media_id: str, marker: str, tally: Tally
    ) -> dict[str, Any]:
        try:
            return await self._post_status(post, media_id, marker, tally)
        except MediaNotReady:
            await self._wait_until_processed(media_id, tally)
        except AmbiguousError as error:
            log.info("repeating the status create with the same Idempotency-Key (%s)", error)
        except MediaUnavailable:
            return await self._status_holding(media_id, tally)
        try:
            return await self._post_status(post, media_id, marker, tally)
        except MediaUnavailable:
            return await self._status_holding(media_id, tally)

    async def _post_status(
        self, post: MastodonPost, media_id: str, key: str, tally: Tally
    ) -> dict[str, Any]:
        return await self._api.object(
            "POST",
            "/api/v1/statuses",
            tally,
            family=STATUSES,
            json={"status": post.caption, "media_ids": [media_id], "visibility": post.visibility},
            headers={"Idempotency-Key": key},
        )

    async def _status_holding(self, media_id: str, tally: Tally) -> dict[str, Any]:
        """The status an earlier attempt made with this media (the create said it is taken)."""
        adopted = await self._status_with_media(media_id, tally)
        if adopted is None:
            raise TransientError(
                "the uploaded photo is gone from Mastodon; the next attempt uploads it again"
            )
        return {"id": adopted.ids["status_id"], "url": adopted.url}

    # --- update -------------------------------------------------------------------------

    async def update(
        self,
        ref: RemoteRef,
        post: MastodonPost,
        replace_image: bool,
        previous: Published | None = None,
    ) -> Outcome:
        check_visibility(post.visibility)
        tally = Tally()
        status_id = ref.ids.get("status_id", "").strip()
        media_id = ref.ids.get("media_id", "").strip()
        if not status_id:
            raise PermanentError(NOT_ON_MASTODON, "the record has no status id")
        status = await self._own_status(status_id, tally)
        attachments = [a for a in status.get("media_attachments") or [] if isinstance(a, dict)]
        media = next((a for a in attachments if str(a.get("id")) == media_id), None)
        source = await self._source(status, tally)

        text_changed = comparable_text(source["text"]) != comparable_text(post.caption)
        alt_changed = media is not None and comparable_text(
            media.get("description")
        ) != comparable_text(post.alt_text)
        if text_changed or alt_changed:
            status = await self._edit(status, source, post, media_id if alt_changed else "", tally)
        if media is None:
            tally.refused(
                "alt text",
                f"the Mastodon post no longer holds the recorded photo (media {media_id}); "
                "its alt text was not set",
            )
        if replace_image:
            tally.warnings.append(IMAGE_NOT_REPLACED)
        current = status.get("visibility")
        if isinstance(current, str) and current != post.visibility:
            tally.visibility_kept("Mastodon", current, post.visibility)
        ref_out = RemoteRef(
            {"media_id": media_id, "status_id": status_id}, str(status.get("url") or ref.url)
        )
        return tally.outcome(ref_out)

    async def _own_status(self, status_id: str, tally: Tally) -> dict[str, Any]:
        try:
            status = await self._api.object("GET", f"/api/v1/statuses/{status_id}", tally)
        except NotFoundError:
            raise PermanentError(NOT_ON_MASTODON) from None
        if _account_of(status) != await self._account_id():
            raise PermanentError(NOT_OURS, f"status {status_id}")
        return status

    async def _source(self, status: Mapping[str, Any], tally: Tally) -> dict[str, str]:
        """The raw text and content warning (Mastodon 3.5+), else read back from the HTML."""
        try:
            source = await self._api.object("GET", f"/api/v1/statuses/{status['id']}/source", tally)
        except NotFoundError:
            source = {"text": text_of_content(str(status.get("content") or ""))}
        return {
            "text": str(source.get("text") or ""),
            "spoiler_text": str(source.get("spoiler_text", status.get("spoiler_text")) or ""),
        }

    async def _edit(
        self,
        status: Mapping[str, Any],
        source: Mapping[str, str],
        post: MastodonPost,
        alt_text_media_id: str,
        tally: Tally,
    ) -> dict[str, Any]:
        """One edit. Mastodon's edit sets text, content warning, sensitivity and the media
        list from what is sent (absent means empty), so all are sent as they are now."""
        media_ids = [
            str(a["id"]) for a in status.get("media_attachments") or [] if isinstance(a, dict)
        ]
        body: dict[str, Any] = {
            "status": post.caption,
            "spoiler_text": source["spoiler_text"],
            "sensitive": bool(status.get("sensitive")),
            "media_ids": media_ids,
        }
        if status.get("language"):
            body["language"] = status["language"]
        if alt_text_media_id:
            body["media_attributes"] = [{"id": alt_text_media_id, "description": post.alt_text}]
        try:
            return await self._api.object(
                "PUT", f"/api/v1/statuses/{status['id']}", tally, family=STATUSES, json=body
            )
        except NotFoundError:
            raise PermanentError(NOT_ON_MASTODON) from None

    # --- delete -------------------------------------------------------------------------

    async def delete(self, ref: RemoteRef) -> None:
        """Delete the post; "not found" is done only when it is provably ours and gone.

        The post is read first: it must be this account's and hold the record's media
        (else nothing is deleted). A post that is already gone counts as deleted only if
        its media is still ours and unattached (Mastodon keeps a deleted post's media for
        a redraft) or we saw it as ours moments before deleting it ourselves.
        """
        tally = Tally()
        status_id = ref.ids.get("status_id", "").strip()
        media_id = ref.ids.get("media_id", "").strip()
        if not status_id:
            raise PermanentError(NOT_ON_MASTODON, "the record has no status id")
        try:
            status = await self._api.object("GET", f"/api/v1/statuses/{status_id}", tally)
        except NotFoundError:
            await self._confirm_gone(ref, tally)
            return
        if _account_of(status) != await self._account_id():
            raise PermanentError(NOT_OURS, f"status {status_id}")
        if not holds_media(status, media_id):
            raise PermanentError(
                RECORD_MISMATCH, f"status {status_id} does not hold media {media_id or '(none)'}"
            )
        self._confirmed_own.add(status_id)
        try:
            # delete_media (Mastodon 4.4+) removes the files now instead of keeping them
            # for a redraft; older servers ignore it.
            await self._api.request(
                "DELETE",
                f"/api/v1/statuses/{status_id}",
                tally,
                family=DELETE,
                params={"delete_media": "true"},
            )
        except NotFoundError:
            log.info("mastodon status %s was deleted meanwhile", status_id)

    async def _confirm_gone(self, ref: RemoteRef, tally: Tally) -> None:
        status_id = ref.ids.get("status_id", "").strip()
        media_id = ref.ids.get("media_id", "").strip()
        if status_id in self._confirmed_own:
            log.info("mastodon status %s is gone (deleted by us)", status_id)
            return
        # A run killed after its delete: the post and (delete_media) its media are gone;
        # the record's own address still shows whose it was.
        account = self._account or await self.verify_login()
        if status_url_names(ref.url, self.base_url, account, status_id):
            log.info("mastodon status %s was already deleted", status_id)
            return
        if media_id and await self._unattached_media(media_id, tally) is not None:
            log.info("mastodon status %s is gone; its media %s is ours", status_id, media_id)
            return
        raise PermanentError(
            NOT_ON_MASTODON,
            f"status {status_id} is gone or hidden, and nothing shows it was this account's",
        )

    # --- recovery -----------------------------------------------------------------------

    async def find_by_marker(
        self, marker: str, known: Mapping[str, str] | None = None
    ) -> RemoteRef | None:
        """The status holding the journaled media id; None while that media is unattached.

        Statuses carry no marker of ours, and the upload is the first thing `add`
        creates, so without a journaled media id nothing was posted.
        """
        media_id = (known or {}).get("media_id", "").strip()
        if not media_id:
            return None
        tally = Tally()
        if await self._unattached_media(media_id, tally) is not None:
            return None
        return await self._status_with_media(media_id, tally)

    async def _status_with_media(self, media_id: str, tally: Tally) -> RemoteRef | None:
        """Our status holding `media_id`, scanning every status with media newer than it.

        None means provably none (the scan reached the newest status); a scan that has
        to stop first raises TransientError rather than guess.
        """
        account_id = await self._account_id()
        min_id = media_id
        for _ in range(STATUS_PAGES_SCANNED):
            params = {"min_id": min_id, "limit": str(STATUS_PAGE_SIZE), "only_media": "true"}
            page = await self._api.json(
                "GET", f"/api/v1/accounts/{account_id}/statuses", tally, params=params
            )
            statuses = [s for s in page if isinstance(s, dict)] if isinstance(page, list) else []
            for status in statuses:
                if holds_media(status, media_id):
                    return status_ref(status, media_id)
            if len(statuses) < STATUS_PAGE_SIZE:
                return None
            min_id = max((str(s.get("id")) for s in statuses), key=_id_order)
        raise TransientError(
            f"could not tell whether media {media_id} was posted: more than "
            f"{STATUS_PAGE_SIZE * STATUS_PAGES_SCANNED} newer posts to look through"
        )

    async def close(self) -> None:
        await self._api.close()


# --- the login check ----------------------------------------------------------------------


async def check_login(
    base_url: str, token: str, transport: httpx.AsyncBaseTransport | None = None
) -> Account:
    """The account `token` logs in as on `base_url`, for `imatch-socials login mastodon`.

    Raises AuthError for a refused, revoked or under-scoped token or a login that cannot
    act, TransientError when the server cannot be reached and MastodonConfigError for an
    unusable address.
    """
    if not token.strip():
        raise AuthError("no Mastodon token: set mastodon_token (an access token)")
    platform = MastodonPlatform(base_url, token, timeout=30.0, transport=transport)
    try:
        return await platform.verify_login()
    finally:
        await platform.close()


# --- values and checks --------------------------------------------------------------------


def check_visibility(visibility: str) -> None:
    problem = visibility_problem(visibility)
    if problem is not None:
        raise PermanentError(INVALID_VISIBILITY, problem)


_TAG = re.compile(r"<[^>]*>")
_LINE_BREAK = re.compile(r"<br\s*/?>\n?", re.IGNORECASE)
_PARAGRAPH_BREAK = re.compile(r"</p>\s*<p[^>]*>", re.IGNORECASE)


def comparable_text(text: Any) -> str:
    """Text with line ends normalised and trailing spaces dropped, for comparing."""
    return plain_lines(text) if isinstance(text, str) else ""


def text_of_content(content: str) -> str:
    """The plain text of a status's rendered HTML (only for servers without /source)."""
    text = _PARAGRAPH_BREAK.sub("\n\n", _LINE_BREAK.sub("\n", content))
    return html.unescape(_TAG.sub("", text))


def _pixels(path: Path) -> tuple[str, int] | None:
    """("WxH", pixel count) of an image file, or None when it cannot be read here."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
    except Image.DecompressionBombError:
        return ("more than Pillow will open", 2 * (Image.MAX_IMAGE_PIXELS or 0) + 1)
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    return (f"{width}x{height}", width * height)


def _account_of(status: Mapping[str, Any]) -> str:
    account = status.get("account")
    return str(account.get("id")) if isinstance(account, Mapping) else ""


def _id_order(status_id: str) -> tuple[int, str]:
    """Snowflake ids compare as numbers (longer is larger), ULID-like ids as text."""
    return (len(status_id), status_id)
