"""The pixelfed adapter: publish, edit and delete photo posts through pixelfed's
Mastodon-compatible API (reference platform-apis.md C), and the login check.

A post is one uploaded media plus one status. The media id exists before the status, so
`add` hands it to the engine's journal at once; after a crash the status is found again
through that media id (D2), since pixelfed posts carry no hidden marker. The status is
created with `Idempotency-Key: <marker>`; pixelfed answers a repeated key with 400 and
no id, which `add` resolves by looking for the status that holds the media.

Pixelfed differences handled here: errors classified by body (see `errors`, `api`),
no `direct` visibility, an edit replaces the whole caption (so the full text is always
sent, with the post's media ids, which pixelfed requires when the caption is empty) and is
capped at about nine per post (so nothing is sent that did not change), an edit of an
unlisted or private post is answered with an empty body (it was applied), alt text is
edited with PUT /api/v1/media/{id} as JSON and comes back HTML-escaped (so it is compared
as pixelfed stores it), and a post's photo cannot be replaced.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from sync.error_names import INVALID_VISIBILITY, POSTED_BY_ANOTHER_ACCOUNT, RECORD_MISMATCH
from sync.platforms.base import (
    Account,
    AuthError,
    Checkpoint,
    Limits,
    MediaFile,
    Outcome,
    PermanentError,
    Platform,
    RateLimited,
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
from sync.platforms.pixelfed.api import DEFAULT_TIMEOUT_SECONDS, PixelfedAPI
from sync.platforms.pixelfed.errors import (
    MISSING_PERMISSION,
    NOT_ON_PIXELFED,
    DuplicateKeyError,
    InvalidMediaError,
    NotFoundError,
    body_of,
)
from sync.platforms.pixelfed.limits import MIME_OF_FORMAT, limits_from_instance
from sync.platforms.pixelfed.settings import PixelfedConfigError as PixelfedConfigError
from sync.published import Published

log = logging.getLogger(__name__)

VISIBILITIES = ("public", "unlisted", "private")
STATUS_PAGE_SIZE = 40
STATUS_PAGES_SCANNED = 10
"""find_by_marker looks at the newest 400 statuses: an interrupted post is recent."""

MEDIA_UPDATES_PER_WINDOW = 10
MEDIA_UPDATE_WINDOW_SECONDS = 62.0
"""pixelfed allows 10 media (alt text) updates a minute per user (C2); the two spare
seconds cover the time a request takes to reach it."""
DAILY_UPLOADS = 1250
DAILY_POSTS = 1000
"""pixelfed's caps per account in any 24 hours (ApiV1Controller mediaUpload, statusCreate)."""

MEDIA_GONE = "the uploaded pixelfed media is gone; the next attempt uploads it again"
IMAGE_NOT_REPLACED = (
    "the photo was not replaced: pixelfed cannot change the photo of a published post "
    "(only its text). To publish the new photo, delete the post (flag it `_delete`) and "
    "add it again"
)


@dataclass(frozen=True, slots=True)
class PixelfedPost:
    """One rendered pixelfed post: exactly what is sent."""

    file: MediaFile
    caption: str
    alt_text: str
    visibility: str
    """`public`, `unlisted` or `private` (pixelfed has no `direct`)."""

    def published_fields(self) -> dict[str, str]:
        """What pixelfed shows of the post, field by field (sync/published.py)."""
        return {"caption": self.caption, "alt text": self.alt_text, "visibility": self.visibility}

    def owned(self) -> dict[str, tuple[str, ...]]:
        return {}


async def _ignore_ids(ids: Mapping[str, str]) -> None:
    return None


class PixelfedPlatform(Platform[PixelfedPost]):
    """One pixelfed account, reached with a bearer token."""

    name = "pixelfed"
    record_keys = ("media_id", "status_id")
    own_limits = (
        f"pixelfed allows {MEDIA_UPDATES_PER_WINDOW} alt-text updates a minute",
        f"{DAILY_UPLOADS:,} uploads and {DAILY_POSTS:,} posts a day",
    )

    def __init__(
        self,
        base_url: str,
        token: str,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        limiter: RateLimiter | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._api = PixelfedAPI(
            base_url, token, timeout=timeout, limiter=limiter, transport=transport
        )
        self.base_url = self._api.base_url
        # Its own pace, on the same clock, announced to the same listeners (visible waits).
        shared = limiter or RateLimiter()
        self._media_limiter = RateLimiter(
            rate_per_hour=MEDIA_UPDATES_PER_WINDOW * 3600.0 / MEDIA_UPDATE_WINDOW_SECONDS,
            burst=MEDIA_UPDATES_PER_WINDOW,
            window=MEDIA_UPDATE_WINDOW_SECONDS,
            window_limit=MEDIA_UPDATES_PER_WINDOW,
            clock=shared.clock,
            sleep=shared.sleep,
            listeners=shared.listeners,
        )
        self._account: Account | None = None
        self._limits: Limits | None = None
        self._media_upload_path = "/api/v2/media"

    # --- login and limits ---------------------------------------------------------------

    async def connect(self) -> Account:
        account = await self.verify_login()
        self._limits = None
        await self.limits()
        return account

    async def verify_login(self) -> Account:
        """Who the token belongs to (GET verify_credentials). Raises AuthError."""
        body = await self._api.get_object("/api/v1/accounts/verify_credentials", Tally())
        account = Account(
            id=str(body["id"]),
            name=str(body.get("acct") or body.get("username") or body["id"]),
            url=str(body.get("url") or ""),
        )
        self._account = account
        return account

    async def limits(self) -> Limits:
        if self._limits is None:
            self._limits = limits_from_instance(await self._instance())
        return self._limits

    async def _instance(self) -> dict[str, Any]:
        """v2 reports what is enforced; v1 (env config, cached) only on older servers (C3)."""
        tally = Tally()
        try:
            return await self._api.get_object("/api/v2/instance", tally, needs_id=False)
        except PermanentError:  # 404 (also NotFoundError) or another refusal of the route
            log.debug("pixelfed has no /api/v2/instance; reading /api/v1/instance")
        return await self._api.get_object("/api/v1/instance", tally, needs_id=False)

    # --- add ----------------------------------------------------------------------------

    async def add(
        self,
        post: PixelfedPost,
        marker: str,
        checkpoint: Checkpoint = _ignore_ids,
        resume: Mapping[str, str] | None = None,
    ) -> Outcome:
        check_visibility(post.visibility)
        tally = Tally()
        media_id: str | None = None
        journaled = (resume or {}).get("media_id", "").strip()
        if journaled:
            if await self._media_is_unattached(journaled, tally):
                media_id = journaled
            else:
                # Attached means an earlier attempt did post it: adopt, never post twice.
                adopted = await self._status_with_media(journaled, tally)
                if adopted is not None:
                    return tally.outcome(adopted)
        if media_id is None:
            media_id = await self._upload(post, tally)
            await checkpoint({"media_id": media_id})
        status = await self._create_status(post, media_id, marker, tally)
        return tally.outcome(status_ref(status, media_id))

    async def _upload(self, post: PixelfedPost, tally: Tally) -> str:
        data = await read_upload(post.file)
        mime = MIME_OF_FORMAT.get(post.file.format.upper(), "application/octet-stream")
        files = {"file": (post.file.path.name, data, mime)}
        fields = {"description": post.alt_text}
        try:
            body = await self._api.object(
                "POST", self._media_upload_path, tally, files=files, data=fields
            )
        except NotFoundError:
            if self._media_upload_path == "/api/v1/media":
                raise
            # Servers before 0.11.3 have only the v1 upload (C5).
            self._media_upload_path = "/api/v1/media"
            body = await self._api.object(
                "POST", self._media_upload_path, tally, files=files, data=fields
            )
        return str(body["id"])

    async def _create_status(
        self, post: PixelfedPost, media_id: str, marker: str, tally: Tally
    ) -> dict[str, Any]:
        try:
            return await self._post_status(post, media_id, marker, tally)
        except DuplicateKeyError:
            log.info("pixelfed has seen idempotency key %s before; reconciling", marker)
        except InvalidMediaError:
            # The media is no longer ours to attach: a post of ours may hold it already,
            # otherwise it is gone (garbage-collected) and must be uploaded again.
            adopted = await self._status_with_media(media_id, tally)
            if adopted is not None:
                return {"id": adopted.ids["status_id"], "url": adopted.url}
            raise TransientError(MEDIA_GONE) from None
        # The key got past validation earlier (D2): the status may or may not exist.
        if not await self._media_is_unattached(media_id, tally):
            adopted = await self._status_with_media(media_id, tally)
            if adopted is None:
                raise TransientError(MEDIA_GONE)
            return {"id": adopted.ids["status_id"], "url": adopted.url}
        try:
            return await self._post_status(post, media_id, f"{marker}-2", tally)
        except DuplicateKeyError:
            raise TransientError(
                "pixelfed refused both idempotency keys of this post although no post "
                "exists; it forgets them after an hour, try again then"
            ) from None

    async def _post_status(
        self, post: PixelfedPost, media_id: str, key: str, tally: Tally
    ) -> dict[str, Any]:
        return await self._api.object(
            "POST",
            "/api/v1/statuses",
            tally,
            json={"status": post.caption, "media_ids": [media_id], "visibility": post.visibility},
            headers={"Idempotency-Key": key},
        )

    # --- update -------------------------------------------------------------------------

    async def update(
        self,
        ref: RemoteRef,
        post: PixelfedPost,
        replace_image: bool,
        previous: Published | None = None,
    ) -> Outcome:
        check_visibility(post.visibility)
        tally = Tally()
        status_id = ref.ids.get("status_id", "").strip()
        if not status_id:
            raise PermanentError(NOT_ON_PIXELFED, "the record has no status id")
        account = self._account or await self.verify_login()
        try:
            status = await self._api.get_object(f"/api/v1/statuses/{status_id}", tally)
        except NotFoundError:
            raise PermanentError(NOT_ON_PIXELFED) from None
        except AuthError as error:
            raise _private_post_of_another(error, status_id, account, "changed") from None
        # Checked before anything is sent: pixelfed cannot add a photo to a post, so a
        # post that holds photos but not the recorded one is another photo's post. (An
        # edit of another account's post is refused by pixelfed: `post not editable`.)
        recorded = ref.ids.get("media_id", "").strip()
        if status.get("media_attachments") and not holds_media(status, recorded):
            raise _mismatch(status_id, recorded, "changed")

        if not same_words(caption_of_status(status), comparable_caption(post.caption)):
            status = await self._edit_caption(status, post.caption, tally)

        attachments = [a for a in status.get("media_attachments") or [] if isinstance(a, dict)]
        media = _attachment(attachments, ref.ids.get("media_id", ""))
        media_id = str(media["id"]) if media else ref.ids.get("media_id", "")
        if media is None:
            tally.refused(
                "alt text", "the pixelfed post has no photo attached; the alt text was not set"
            )
        elif comparable_alt_text(media.get("description")) != comparable_alt_text(post.alt_text):
            await self._update_alt_text(media_id, post.alt_text, tally)

        if replace_image:
            tally.warnings.append(IMAGE_NOT_REPLACED)
        current_visibility = status.get("visibility")
        if current_visibility in VISIBILITIES and current_visibility != post.visibility:
            tally.visibility_kept("pixelfed", current_visibility, post.visibility)
        ref_out = RemoteRef(
            {"media_id": media_id, "status_id": status_id}, str(status.get("url") or ref.url)
        )
        return tally.outcome(ref_out)

    async def _update_alt_text(self, media_id: str, alt_text: str, tally: Tally) -> None:
        """PUT /api/v1/media/{id}, paced to pixelfed's 10 a minute (a wait, not a failure)."""
        await self._media_limiter.acquire()
        try:
            await self._api.object(
                "PUT", f"/api/v1/media/{media_id}", tally, json={"description": alt_text}
            )
        except RateLimited as error:
            if error.retry_after is not None:
                raise
            # pixelfed's limiter answers without Retry-After: its window is a minute.
            raise RateLimited(str(error), MEDIA_UPDATE_WINDOW_SECONDS) from None

    async def _edit_caption(
        self, status: dict[str, Any], caption: str, tally: Tally
    ) -> dict[str, Any]:
        """One edit with the full caption; CW, sensitivity and media sent as they are (C8).

        The media ids always go along: pixelfed requires them when the caption is empty
        (Laravel reads "" as absent) and needs them in order for posts with several."""
        media_ids = [
            str(a["id"]) for a in status.get("media_attachments") or [] if isinstance(a, dict)
        ]
        body: dict[str, Any] = {
            "status": caption,
            "spoiler_text": status.get("spoiler_text") or "",
            "sensitive": bool(status.get("sensitive")),
        }
        if media_ids:
            body["media_ids"] = media_ids
        try:
            response = await self._api.request(
                "PUT", f"/api/v1/statuses/{status['id']}", tally, json=body
            )
        except NotFoundError:
            raise PermanentError(NOT_ON_PIXELFED) from None
        edited = body_of(response)
        if not isinstance(edited, dict):
            # The answer comes from a lookup that sees only public posts: an unlisted or
            # private post's edit is applied and answered 200 with an empty body.
            return {**status, "content_text": caption}
        # The edit answer is pixelfed's own entity; keep what the GET told us where it lacks.
        return {**status, **edited}

    # --- delete and recovery ------------------------------------------------------------

    async def delete(self, ref: RemoteRef) -> None:
        """Delete the status, once it is certain that it is this account's post of this
        record: its account is ours and it holds the recorded media. A status that no
        longer exists counts as deleted only when the record's url names this account."""
        status_id = ref.ids.get("status_id", "").strip()
        media_id = ref.ids.get("media_id", "").strip()
        if not status_id:
            raise PermanentError(NOT_ON_PIXELFED, "the record has no status id")
        tally = Tally()
        account = self._account or await self.verify_login()
        try:
            status = await self._api.get_object(f"/api/v1/statuses/{status_id}", tally)
        except NotFoundError:
            if status_url_names(ref.url, self.base_url, account, status_id):
                log.info("pixelfed status %s was already deleted", status_id)
                return
            raise PermanentError(
                NOT_ON_PIXELFED,
                f"status {status_id} is not on {self.base_url} for {account.name}, and the "
                "record's url does not show it was theirs: nothing was deleted; if the post "
                "is gone, remove the record",
            ) from None
        except AuthError as error:
            raise _private_post_of_another(error, status_id, account, "deleted") from None
        _must_be_ours(status, status_id, account)
        if not holds_media(status, media_id):
            raise _mismatch(status_id, media_id, "deleted")
        try:
            await self._api.request("DELETE", f"/api/v1/statuses/{status_id}", tally)
        except NotFoundError:
            log.info("pixelfed status %s was deleted meanwhile", status_id)

    async def find_by_marker(
        self, marker: str, known: Mapping[str, str] | None = None
    ) -> RemoteRef | None:
        """The status holding the journaled media id; None while that media is unattached.

        Pixelfed posts carry no marker of ours, so without a journaled media id there is
        nothing to look for (the media upload is the first thing `add` creates).
        """
        media_id = (known or {}).get("media_id", "").strip()
        if not media_id:
            return None
        tally = Tally()
        if await self._media_is_unattached(media_id, tally):
            return None
        return await self._status_with_media(media_id, tally)

    async def _media_is_unattached(self, media_id: str, tally: Tally) -> bool:
        """GET /api/v1/media/{id} only finds the caller's media that no status holds (C6)."""
        try:
            await self._api.get_object(f"/api/v1/media/{media_id}", tally)
        except NotFoundError:
            return False
        return True

    async def _status_with_media(self, media_id: str, tally: Tally) -> RemoteRef | None:
        account_id = (self._account or await self.verify_login()).id
        max_id: str | None = None
        for _ in range(STATUS_PAGES_SCANNED):
            params = {"limit": str(STATUS_PAGE_SIZE)} | ({"max_id": max_id} if max_id else {})
            page = await self._api.json(
                "GET", f"/api/v1/accounts/{account_id}/statuses", tally, params=params
            )
            statuses = [s for s in page if isinstance(s, dict)] if isinstance(page, list) else []
            for status in statuses:
                if holds_media(status, media_id):
                    return status_ref(status, media_id)
            if len(statuses) < STATUS_PAGE_SIZE:
                return None
            max_id = str(statuses[-1].get("id"))
        return None

    async def close(self) -> None:
        await self._api.close()


# --- the login check ----------------------------------------------------------------------


async def check_login(
    base_url: str, token: str, transport: httpx.AsyncBaseTransport | None = None
) -> Account:
    """The account `token` logs in as on `base_url`, for `imatch-socials login pixelfed`.

    Raises AuthError for a refused or expired token, an unverified email or missing
    scopes, TransientError when the instance cannot be reached and PixelfedConfigError
    for an unusable address.
    """
    if not token.strip():
        raise AuthError("no pixelfed token: set pixelfed_token (a personal access token)")
    platform = PixelfedPlatform(base_url, token, timeout=30.0, transport=transport)
    try:
        return await platform.verify_login()
    finally:
        await platform.close()


# --- values and checks --------------------------------------------------------------------


def check_visibility(visibility: str) -> None:
    if visibility not in VISIBILITIES:
        raise PermanentError(
            INVALID_VISIBILITY,
            f"pixelfed_visibility is {visibility!r}; pixelfed accepts public, unlisted "
            "or private (it has no direct posts)",
        )


# --- comparing what is there with what should be -------------------------------------------

# Only real markup: a `<` before a letter or `/`. A caption's own "5 < 6" is text.
_TAG = re.compile(r"<!--.*?-->|</?[A-Za-z][^<>]*>", re.DOTALL)
_LINE_BREAK = re.compile(r"<br\s*/?>\n?", re.IGNORECASE)
_PARAGRAPH_BREAK = re.compile(r"</p>\s*<p[^>]*>", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def comparable_caption(caption: str) -> str:
    """A caption as it is sent, with line ends normalised (rendering protects it from
    pixelfed's `strip_tags`, see `render`, so pixelfed keeps all of it) and entities read:
    pixelfed's caption is HTML, where `&amp;` typed in IMatch reads `&`; compared as typed,
    it would be edited again on every sync."""
    return plain_lines(html.unescape(caption))


def same_words(published: str, wanted: str) -> bool:
    """Whether two captions read the same, whitespace runs counted as one space: pixelfed
    0.12's purifier collapses the whitespace of an edited caption (line breaks included),
    and an edit made for that alone would be made on every sync, using up the post's ten."""
    if published == wanted:
        return True
    return _WHITESPACE.sub(" ", published).strip() == _WHITESPACE.sub(" ", wanted).strip()


def caption_of_status(status: Mapping[str, Any]) -> str:
    """The plain caption of a status, comparable with `comparable_caption`.

    Pixelfed entities carry the caption in `content_text`; Mastodon ones only the rendered
    HTML `content`, with autolinked hashtags and URLs and `<br />` after an edit. An edited
    caption went through HTML Purifier, so `&`, `<`, `>` come back as entities in both.
    """
    if isinstance(status.get("content_text"), str):
        return plain_lines(html.unescape(status["content_text"]))
    rendered = str(status.get("content") or status.get("text") or "")
    text = _PARAGRAPH_BREAK.sub("\n\n", _LINE_BREAK.sub("\n", rendered))
    return plain_lines(html.unescape(_TAG.sub("", text)))


def comparable_alt_text(text: Any) -> str:
    """Alt text as pixelfed keeps it, whichever way it was stored.

    An upload stores it as sent; PUT /api/v1/media/{id} stores it purified (`&amp;`,
    `&lt;`, markup other than a/p/span/br removed) and pixelfed 0.12 also collapses its
    whitespace. Both sides are reduced to the words a reader sees, so an unchanged alt
    text never counts as changed (each needless PUT spends one of ten a minute).
    """
    if not isinstance(text, str):
        return ""
    return _WHITESPACE.sub(" ", html.unescape(_TAG.sub("", text))).strip()


def _attachment(attachments: list[dict[str, Any]], media_id: str) -> dict[str, Any] | None:
    for attachment in attachments:
        if str(attachment.get("id")) == media_id:
            return attachment
    return None


def _must_be_ours(status: Mapping[str, Any], status_id: str, account: Account) -> None:
    """The status is the logged-in account's, or a named error (nothing is deleted)."""
    found = status.get("account")
    owner: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    if str(owner.get("id", "")) != account.id:
        who = owner.get("acct") or owner.get("username") or owner.get("id") or "someone else"
        raise PermanentError(
            POSTED_BY_ANOTHER_ACCOUNT,
            f"status {status_id} was posted by {who}, but you are logged in as "
            f"{account.name}: log in as {who} to delete it (nothing was deleted)",
        )


def _mismatch(status_id: str, media_id: str, done: str) -> PermanentError:
    return PermanentError(
        RECORD_MISMATCH,
        f"status {status_id} does not hold the recorded media {media_id}: the record "
        f"points at another post; correct or remove it in IMatch (nothing was {done})",
    )


def _private_post_of_another(
    error: AuthError, status_id: str, account: Account, nothing: str
) -> PermanentError:
    """Reading one status is refused only for another account's private post: that
    photo's error (nothing was `nothing`), not a refused login. Any other refusal is
    raised as it is."""
    if str(error) != MISSING_PERMISSION:
        raise error
    return PermanentError(
        POSTED_BY_ANOTHER_ACCOUNT,
        f"status {status_id} is another account's private post; you are logged in as "
        f"{account.name}: nothing was {nothing}",
    )
