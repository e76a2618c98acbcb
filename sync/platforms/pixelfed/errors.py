"""How pixelfed's answers map onto the platform error taxonomy (reference platform-apis.md C2).

Pixelfed's status codes are unreliable: with `Accept: application/json` it answers 500
for validation failures, a refused token and a missing record alike, so every answer is
classified by its body first and its status second. Mastodon-correct codes (422, 401,
404) are accepted too, for instances that have fixed this.

`error_for_answer` is the one place that decides; the adapter only adds what the context
knows (e.g. that a missing status means "already deleted").
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from sync.error_names import ALT_TEXT_TOO_LONG, CAPTION_TOO_LONG, UPLOAD_REJECTED, NamedError
from sync.platforms.base import (
    AccountLimited,
    AuthError,
    PermanentError,
    PlatformError,
    RateLimited,
    uncertain,
)

TOKEN_REFUSED = (
    "pixelfed refused the token: check pixelfed_token / run `imatch-socials login pixelfed`"
)
EMAIL_NOT_VERIFIED = (
    "pixelfed wants the account's email address verified first: open the pixelfed web "
    "site, verify the email, then try again"
)
MISSING_PERMISSION = (
    "pixelfed refused access: the token lacks the read/write scope or the account is "
    "suspended; run `imatch-socials login pixelfed`"
)

# --- user-facing error names only pixelfed gives (each `Socials|pixelfed|__errors|<name>`) --

REJECTED = "rejected by pixelfed"
EDIT_LIMIT_REACHED = "edit limit reached"
EDITING_DISABLED = "post editing disabled"
NOT_EDITABLE = "post not editable"
NOT_FOUND = "not found on pixelfed"
NOT_ON_PIXELFED = "post not found on pixelfed"

ERRORS: tuple[NamedError, ...] = (
    NamedError(
        NOT_ON_PIXELFED,
        "The post no longer exists: remove the attribute record so it is added again.",
    ),
    NamedError(
        NOT_EDITABLE,
        "pixelfed will not let this account edit the post the record names (another "
        "account's post, a reply or a draft): check the pixelfed record.",
    ),
    NamedError(
        NOT_FOUND,
        "pixelfed does not know what the record or the upload names (deleted, or not this "
        "account's): check the pixelfed record, or remove it to post the photo anew.",
    ),
    NamedError(
        REJECTED,
        "pixelfed refused this post; the log shows its reason. Fix that in IMatch, then run again.",
    ),
    NamedError(
        EDIT_LIMIT_REACHED,
        "pixelfed allows only a few edits of a post: the text was not changed. Delete the "
        "post (flag it _delete) and add it again to change it.",
    ),
    NamedError(
        EDITING_DISABLED,
        "This pixelfed instance does not allow editing posts: delete the post (flag it "
        "_delete) and add it again to change it.",
    ),
)
"""pixelfed's own names (the ones any platform gives are the core's), through its spec."""

ACCOUNT_FULL_MESSAGE = "Account size limit reached."
ACCOUNT_FULL = (
    "the pixelfed account's storage is full (Account size limit reached.): delete posts or "
    "ask the instance's admin for more space; the photos not uploaded are tried next run"
)

DUPLICATE_KEY_MESSAGE = "Duplicate idempotency key."
INVALID_MEDIA_MESSAGE = "Invalid media_ids"
UNAUTHORIZED_MESSAGE = "This action is unauthorized."
NOT_FOUND_PREFIX = "No query results for model"
NOT_EDITABLE_DETAIL = (
    "pixelfed refused to edit this post ({message}): it belongs to another account, is a "
    "reply or a draft, or the account may not post; check the photo's pixelfed record"
)

# 403 answers that are about this one post, not about the login.
_FORBIDDEN_FOR_THIS_POST = {
    "Empty statuses are not allowed": REJECTED,
    "Invalid media id": REJECTED,
    "Invalid or unsupported mime type.": UPLOAD_REJECTED,
}


class NotFoundError(PermanentError):
    """The record does not exist (or is not ours); what that means depends on the call."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(NOT_FOUND, detail)


class DuplicateKeyError(PermanentError):
    """400 "Duplicate idempotency key.": an earlier create with this key passed validation."""

    def __init__(self) -> None:
        super().__init__(REJECTED, DUPLICATE_KEY_MESSAGE)


class InvalidMediaError(PermanentError):
    """400 "Invalid media_ids" on create: none of the media ids is an unattached media of
    ours (already attached, garbage-collected, missing). What to do depends on where the
    media went, which the adapter finds out."""

    def __init__(self) -> None:
        super().__init__(REJECTED, INVALID_MEDIA_MESSAGE)


def not_editable(message: str) -> PermanentError:
    """A failed edit authorization: answered 500 by pixelfed's API (C2), never retried."""
    return PermanentError(NOT_EDITABLE, NOT_EDITABLE_DETAIL.format(message=message))


def body_of(response: httpx.Response) -> Any:
    """The JSON body, or None when the answer is not JSON (HTML pages, empty bodies)."""
    try:
        return response.json()
    except ValueError:
        return None


def error_message(body: Any) -> str:
    """The `error` (or `message`) text of an error body, "" when there is none."""
    if isinstance(body, dict):
        for key in ("error", "message"):
            value = body.get(key)
            if isinstance(value, str):
                return value
    return ""


def error_for_answer(response: httpx.Response, changes_something: bool) -> PlatformError | None:
    """The error an answer stands for, or None for a success (2xx)."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        return _redirect_error(response)
    body = body_of(response)
    message = error_message(body)
    if isinstance(body, dict) and isinstance(body.get("errors"), dict):
        return _validation_error(body["errors"], message)
    if message == "Unauthenticated." or status == 401:
        return AuthError(TOKEN_REFUSED)
    if message.startswith(NOT_FOUND_PREFIX):
        return NotFoundError(message)
    if message == UNAUTHORIZED_MESSAGE and status in (403, 500):
        # A FormRequest's authorize() said no; pixelfed answers that 500 with JSON Accept.
        return not_editable(message)
    if status == 429:
        return RateLimited("pixelfed asked to slow down", retry_after_seconds(response))
    if status == 422:
        return _validation_error({}, message)
    if status in (413, 451):
        return PermanentError(UPLOAD_REJECTED, f"HTTP {status}")
    if status == 404:
        if "editing is not enabled" in message:
            return PermanentError(EDITING_DISABLED, message)
        return NotFoundError(message or "HTTP 404")
    if status == 403:
        return _forbidden_error(message)
    if status == 400:
        return _bad_request_error(message)
    if status < 500:
        return PermanentError(REJECTED, message or f"HTTP {status}")
    detail = f"pixelfed answered HTTP {status}" + (f": {message}" if message else "")
    return uncertain(detail, changes_something)


def retry_after_seconds(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds (only the delta-seconds form is used by pixelfed's proxies)."""
    value = response.headers.get("retry-after", "").strip()
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(0.0, seconds)


def _redirect_error(response: httpx.Response) -> PlatformError:
    location = response.headers.get("location", "")
    if "/i/verify-email" in location:
        return AuthError(EMAIL_NOT_VERIFIED)
    if location.rstrip("/").endswith("/login"):
        return AuthError(TOKEN_REFUSED)
    # Usually http:// redirected to https:// or a moved instance: a setting to fix.
    return AuthError(
        f"pixelfed answered with a redirect to {location or 'another page'}: check pixelfed_url"
    )


def _validation_error(errors: dict[str, Any], message: str) -> PermanentError:
    """Name a validation failure after the field it is about (Laravel messages)."""
    fields = set(errors) or set(re.findall(r"\bThe (?:selected )?([a-z_.]+)\b", message))
    texts = " ".join(str(m) for ms in errors.values() for m in _as_list(ms)) or message
    too_long = "greater than" in texts or "characters" in texts
    detail = texts or message
    if "file" in fields:
        return PermanentError(UPLOAD_REJECTED, detail)
    if "status" in fields and too_long:
        return PermanentError(CAPTION_TOO_LONG, detail)
    if "description" in fields and too_long:
        return PermanentError(ALT_TEXT_TOO_LONG, detail)
    return PermanentError(REJECTED, detail)


def _forbidden_error(message: str) -> PlatformError:
    if not message:
        return AuthError(MISSING_PERMISSION)
    if message == ACCOUNT_FULL_MESSAGE:
        # About the account, not the photo: stop uploads for the run, remember nothing.
        return AccountLimited(ACCOUNT_FULL)
    name = _FORBIDDEN_FOR_THIS_POST.get(message, REJECTED)
    return PermanentError(name, message)


def _bad_request_error(message: str) -> PermanentError:
    if message == DUPLICATE_KEY_MESSAGE:
        return DuplicateKeyError()
    if message.lower().replace("_", " ") == "invalid media ids":
        return InvalidMediaError()
    if "cannot edit your post" in message:
        return PermanentError(EDIT_LIMIT_REACHED, message)
    return PermanentError(REJECTED, message or "HTTP 400")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
