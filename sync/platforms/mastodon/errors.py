"""How Mastodon's answers map onto the platform error taxonomy, and the fix texts.

Mastodon answers with honest status codes and a JSON `{"error": "..."}` body
(`Api::ErrorHandling`, `Api::BaseController`): 401 for a missing, revoked or expired
token, 403 for a missing scope or a login that cannot act (unconfirmed email, pending
approval, disabled), 404 `Record not found` / `Not Found`, 422 `Validation failed: ...`
(or a bare message from `Mastodon::ValidationError`), 429 `Too many requests` with
`X-RateLimit-Limit`, `-Remaining` and `-Reset` (an ISO 8601 time, no Retry-After), 503
for temporary trouble. `error_for_answer` is the one place that decides; the adapter adds
what the context knows (e.g. that a missing status means "already deleted").
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from sync.error_names import (
    ALT_TEXT_TOO_LONG,
    CAPTION_TOO_LONG,
    FILE_NOT_FOUND,
    FILE_NOT_READABLE,
    FILE_TOO_LARGE,
    INVALID_VISIBILITY,
    POSTED_BY_ANOTHER_ACCOUNT,
    RECORD_MISMATCH,
    UPLOAD_REJECTED,
    NamedError,
)
from sync.platforms.base import (
    AuthError,
    PermanentError,
    PlatformError,
    RateLimited,
    TransientError,
    uncertain,
)

# --- user-facing error names (each becomes `Socials|mastodon|__errors|<name>`) ------------
# Names every platform can give are the core's (`sync.error_names`, with its fix texts);
# the ones below them are Mastodon's own.

REJECTED = "rejected by mastodon"
NOT_ON_MASTODON = "post not found on mastodon"
NOT_OURS = POSTED_BY_ANOTHER_ACCOUNT

ERROR_NAMES = (
    CAPTION_TOO_LONG,
    ALT_TEXT_TOO_LONG,
    FILE_TOO_LARGE,
    FILE_NOT_FOUND,
    FILE_NOT_READABLE,
    UPLOAD_REJECTED,
    REJECTED,
    INVALID_VISIBILITY,
    NOT_ON_MASTODON,
    NOT_OURS,
    RECORD_MISMATCH,
)
"""Every name the Mastodon adapter can give a photo (each has a fix text below)."""

ERRORS: tuple[NamedError, ...] = (
    NamedError(
        REJECTED,
        "Mastodon refused the post; the log shows its reason. Fix that in IMatch, then run again.",
    ),
    NamedError(
        NOT_ON_MASTODON,
        "The post is no longer on Mastodon, or it was posted from another account: if you "
        "deleted it yourself, remove the photo's mastodon attribute record; if another "
        "account posted it, log in as that account.",
    ),
)
"""Mastodon's own names, registered through its spec."""
FIX_TEXTS: dict[str, str] = {entry.name: entry.fix for entry in ERRORS}

# --- messages for set-up problems (they stop the platform) --------------------------------

TOKEN_REFUSED = (
    "Mastodon refused the token ({detail}): check mastodon_token, or create a new access "
    "token (Preferences > Development > New application, scopes read and write) and run "
    "`imatch-socials login mastodon`"
)
MISSING_SCOPE = (
    "the Mastodon token lacks a permission this needs (scopes read and write, or read, "
    "write:media and write:statuses): create a new access token with them and put it in "
    "mastodon_token"
)
LOGIN_CANNOT_ACT = "Mastodon says: {detail} - sign in on the web site to sort this out"

# 403 messages of `Api::BaseController#require_user!` and `require_not_suspended!`.
_LOGIN_PROBLEMS = (
    "Your login is missing a confirmed e-mail address",
    "Your login is currently pending approval",
    "Your login is currently disabled",
)
_OUTSIDE_SCOPES = "This action is outside the authorized scopes"
_NEEDS_USER = "This method requires an authenticated user"


class NotFoundError(PermanentError):
    """404: the record does not exist, is not ours, or is hidden from us. The adapter
    says what that means where it knows; elsewhere the photo gets `rejected by mastodon`."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(REJECTED, detail)


class MediaNotReady(TransientError):
    """422 "Cannot attach files that have not finished processing": wait and try again."""


class MediaUnavailable(PermanentError):
    """422 "Media ... not found or already attached to another post"."""

    def __init__(self, detail: str) -> None:
        super().__init__(REJECTED, detail)


def body_of(response: httpx.Response) -> Any:
    """The JSON body, or None when the answer is not JSON (HTML pages, empty bodies)."""
    try:
        return response.json()
    except ValueError:
        return None


def error_message(body: Any) -> str:
    if isinstance(body, dict):
        value = body.get("error")
        if isinstance(value, str):
            return value
    return ""


def error_for_answer(
    response: httpx.Response,
    changes_something: bool,
    wall_clock: Callable[[], float] = time.time,
) -> PlatformError | None:
    """The error an answer stands for, or None for a success (2xx, including 202/206)."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        location = response.headers.get("location", "")
        return AuthError(
            f"Mastodon answered with a redirect to {location or 'another page'}: check that "
            "mastodon_url is the server's https:// address"
        )
    message = error_message(body_of(response))
    if status == 401:
        return AuthError(TOKEN_REFUSED.format(detail=message or "HTTP 401"))
    if status == 403:
        return _forbidden(message)
    if status in (404, 410):
        return NotFoundError(message or f"HTTP {status}")
    if status == 413:
        return PermanentError(FILE_TOO_LARGE, "the server refused a request this large (413)")
    if status == 422:
        return _unprocessable(message)
    if status == 429:
        return RateLimited(
            "Mastodon asked to slow down" + (f": {message}" if message else ""),
            retry_after_seconds(response, wall_clock),
        )
    if status < 500:
        return PermanentError(REJECTED, message or f"HTTP {status}")
    detail = f"Mastodon answered HTTP {status}" + (f": {message}" if message else "")
    return uncertain(detail, changes_something)


def retry_after_seconds(
    response: httpx.Response, wall_clock: Callable[[], float] = time.time
) -> float | None:
    """How long to wait after a 429: Retry-After (a proxy's) or X-RateLimit-Reset."""
    retry_after = response.headers.get("retry-after", "").strip()
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(retry_after).timestamp() - wall_clock())
            except (TypeError, ValueError):
                pass
    return reset_seconds(response, wall_clock)


def reset_seconds(
    response: httpx.Response, wall_clock: Callable[[], float] = time.time
) -> float | None:
    """Seconds until `X-RateLimit-Reset` (the end of Mastodon's fixed window), if given."""
    reset = response.headers.get("x-ratelimit-reset", "").strip()
    if not reset:
        return None
    try:
        moment = datetime.fromisoformat(reset.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(0.0, moment.timestamp() - wall_clock())


def _forbidden(message: str) -> PlatformError:
    if message == _OUTSIDE_SCOPES:
        return AuthError(MISSING_SCOPE)
    if message in _LOGIN_PROBLEMS:
        return AuthError(LOGIN_CANNOT_ACT.format(detail=message))
    if not message:
        # A proxy or firewall in front of the server, not Mastodon itself.
        return AuthError("Mastodon refused access (HTTP 403 without a reason): check mastodon_url")
    return PermanentError(REJECTED, message)


def _unprocessable(message: str) -> PlatformError:
    text = message.lower()
    if message.startswith(_NEEDS_USER):
        return AuthError(TOKEN_REFUSED.format(detail=message))
    if "character limit" in text:
        return PermanentError(CAPTION_TOO_LONG, message)
    if "description is too long" in text:
        return PermanentError(ALT_TEXT_TOO_LONG, message)
    if "file size" in text or "are not supported" in text:
        return PermanentError(FILE_TOO_LARGE, message)
    if "not finished processing" in text:
        return MediaNotReady(message)
    if "not found or already attached" in text:
        return MediaUnavailable(message)
    if "visibility" in text:
        return PermanentError(INVALID_VISIBILITY, message)
    if "file" in text or "processing" in text:
        return PermanentError(UPLOAD_REJECTED, message)
    return PermanentError(REJECTED, message or "HTTP 422")
