"""State, settings, errors and request parsing of the pixelfed simulator.

`sandbox/pixelfed_server.py` holds the HTTP side; this module holds what it works on: the
switches (`PixelfedSettings`), the inspectable in-memory state (`PixelfedState` and its
records), the error kinds that pixelfed's exception handler maps in its own way
(reference platform-apis.md C2), body parsing as PHP does it and content sniffing of
uploads. What pixelfed does to text is in `sandbox/pixelfed_text.py`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

DAY = 86400.0
VISIBILITIES = ("public", "unlisted", "private")
KNOWN_SCOPES = frozenset({"read", "write", "follow", "push", "admin:read", "admin:write"})
DEFAULT_SCOPES = ("read", "write", "follow")
OOB_REDIRECT = "urn:ietf:wg:oauth:2.0:oob"
VERSION = "3.5.3 (compatible; Pixelfed 0.11.13)"


@dataclass
class PixelfedSettings:
    """Instance limits and switches for pixelfed's quirks. Change fields at any time."""

    max_caption_length: int = 500
    max_photo_size_kb: int = 15000
    max_album_length: int = 4
    media_types: tuple[str, ...] = ("image/jpeg", "image/png", "image/gif")
    max_alt_text_length: int = 1000
    max_spoiler_length: int = 140
    v1_max_photo_size_kb: int | None = None
    """What /api/v1/instance reports (env config); None = the enforced value (C3)."""
    v1_max_album_length: int | None = None
    """What /api/v1/instance reports (env config); None = the enforced value (C3)."""
    v1_instance_cache_seconds: float = 1800.0
    """/api/v1/instance is cached for 30 min: later setting changes show up late there."""
    v2_instance_cache_seconds: float = 1800.0
    """/api/v2/instance is cached for 30 min too (`api:v2:instance-data-response-v2`)."""
    purifier_collapses_whitespace: bool = False
    """pixelfed 0.12: alt text set with PUT /api/v1/media/{id} has its whitespace runs
    collapsed to one space (0.11.13 keeps them). `&`, `<`, `>` are escaped either way."""

    error_quirk: bool = True
    """C2: 500 for validation, auth and findOrFail errors (JSON Accept), redirects and HTML
    otherwise. False: Mastodon codes 422 / 401 / 404 with `{"error": ...}` bodies."""
    v2_instance: bool = True
    """False: GET /api/v2/instance does not exist (servers older than the v2 API)."""
    content_sniffing: bool = True
    """Uploads are typed by their magic bytes; False trusts the declared Content-Type."""
    php_ignores_multipart_put: bool = True
    """C6: PHP does not parse multipart bodies on PUT, so their fields arrive empty."""
    empty_answer_when_inactive: bool = True
    """C1: an account with `last_active_at` None gets 200 `[]` from upload and create."""
    enforce_email_verification: bool = True
    """C1: an account with an unverified email gets 302 to /i/verify-email everywhere."""

    rate_limit_writes: int | None = None
    """A proxy in front (pixelfed itself has none): at most this many POST/PUT/DELETE per
    window, then 429 with Retry-After. None = off."""
    rate_limit_window_seconds: float = 60.0
    daily_media_cap: int | None = 1250
    """C2: uploads in the last 24 h at which further uploads get 429. None = off."""
    daily_status_cap: int | None = 1000
    """C2: statuses in the last 24 h at which further creates get 429. None = off."""
    media_update_per_minute: int | None = 10
    """C2: PUT /api/v1/media/{id} attempts per user and minute. None = off."""
    max_account_size_kb: int | None = 1_000_000
    """C2: total media size per account; an upload beyond it gets 403. None = off."""
    blocked_sha256: set[str] = field(default_factory=set)
    """Media whose sha256 is blocklisted are refused with 451."""
    web_server_body_limit_kb: int | None = None
    """An nginx `client_max_body_size`: bigger bodies get 413 before pixelfed. None = off."""

    async_delete_seconds: float = 0.0
    """C9: a deleted status stays readable (and deletable again) this long."""
    media_gc: bool = True
    """C5: unattached media older than `media_gc_age_seconds` are deleted."""
    media_gc_age_seconds: float = 7200.0
    editing_enabled: bool = True
    """C8: EXP_PUE; False answers edits with 404."""
    max_edit_history: int = 10
    """C8: edits are refused once this many history rows exist (the first edit writes 2)."""
    idempotency_window_seconds: float = 3600.0

    oauth_enabled: bool = True
    oob_supported: bool = False
    """C1: `urn:ietf:wg:oauth:2.0:oob` redirects are refused before pixelfed 0.12.4."""
    oauth_auto_approve: bool = True
    """GET /oauth/authorize approves at once for the signed-in account; False denies."""
    token_days: float = 365.0
    refresh_token_days: float = 400.0
    auth_code_seconds: float = 600.0

    instance_title: str = "Pixelfed Simulator"
    admin_email: str = "admin@pixelfed.test"


# --- state ---------------------------------------------------------------------------------


@dataclass
class Account:
    id: str
    username: str
    display_name: str
    created_at: float
    email_verified: bool = True
    last_active_at: float | None = None
    is_private: bool = False
    """A private profile forces every new status to `private` (C7 step 6)."""
    is_unlisted: bool = False
    """An "unlisted" profile turns `public` into `unlisted` (C7 step 6)."""
    suspended: bool = False
    """verify_credentials answers 403 (C4)."""


@dataclass
class AccessToken:
    """A bearer token; the token itself is not kept, only its sha256 (the state's key)."""

    digest: str = field(repr=False)
    account_id: str
    scopes: frozenset[str]
    expires_at: float
    client_id: str | None = None
    revoked: bool = False


@dataclass
class RefreshToken:
    digest: str = field(repr=False)
    access_digest: str = field(repr=False)
    client_id: str
    expires_at: float
    revoked: bool = False


@dataclass
class OAuthApp:
    client_id: str
    name: str
    redirect_uris: list[str]
    client_secret: str = field(repr=False)


@dataclass
class AuthCode:
    client_id: str
    account_id: str
    redirect_uri: str
    scopes: frozenset[str]
    expires_at: float
    used: bool = False


@dataclass
class Media:
    id: str
    account_id: str
    size: int
    sha256: str
    mime: str
    description: str | None
    created_at: float
    width: int | None = None
    height: int | None = None
    status_id: str | None = None
    delete_at: float | None = None
    """Set by a v2 upload's `replace_id`: deleted at this time unless attached."""


@dataclass
class Status:
    id: str
    account_id: str
    caption: str | None
    content: str | None
    """The rendered HTML; None after an edit cleared the caption (read back as null)."""
    visibility: str
    media_ids: list[str]
    created_at: float
    sensitive: bool = False
    spoiler_text: str = ""
    tags: list[str] = field(default_factory=list)
    in_reply_to_id: str | None = None
    idempotency_key: str | None = None
    edit_count: int = 0
    history_rows: int = 0
    """Edit-history rows; the first edit writes two (original and new), later ones one."""
    edited_at: float | None = None
    deleted_at: float | None = None
    purged: bool = False
    """The queued deletion job ran: the status and its media files are gone."""

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass
class PixelfedState:
    """Everything the simulator knows. Read it from tests; change it through the simulator."""

    accounts: dict[str, Account] = field(default_factory=dict)
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    apps: dict[str, OAuthApp] = field(default_factory=dict)
    auth_codes: dict[str, AuthCode] = field(default_factory=dict, repr=False)
    media: dict[str, Media] = field(default_factory=dict)
    statuses: dict[str, Status] = field(default_factory=dict)
    idempotency_keys: dict[tuple[str, str], float] = field(default_factory=dict)
    """(account id, sha1 of the header) -> time first seen."""
    collected_media_ids: list[str] = field(default_factory=list)
    """Media removed by garbage collection, replacement or status deletion, in order."""


# --- errors as pixelfed's exception handler sees them (C2) --------------------------------


class PixelfedError(Exception):
    """Raised by handlers; the simulator turns it into pixelfed's answer."""


class ValidationFailed(PixelfedError):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("validation failed")
        self.errors = errors

    @property
    def message(self) -> str:
        messages = [m for ms in self.errors.values() for m in ms]
        extra = len(messages) - 1
        if extra <= 0:
            return messages[0]
        plural = "error" if extra == 1 else "errors"
        return f"{messages[0]} (and {extra} more {plural})"


class Unauthenticated(PixelfedError):
    """Missing, unknown, revoked or expired bearer token."""


class EmailNotVerified(PixelfedError):
    """C1: every API call of such an account is redirected to /i/verify-email."""


class Unauthorized(PixelfedError):
    """A failed FormRequest `authorize()`: Laravel's AuthorizationException, which the API's
    handler answers 500 "This action is unauthorized." with JSON Accept (403 otherwise)."""

    message = "This action is unauthorized."


class ModelNotFound(PixelfedError):
    """A `findOrFail` miss."""

    def __init__(self, model: str, key: str) -> None:
        super().__init__(f"No query results for model [App\\{model}] {key}")


class Abort(PixelfedError):
    """`abort(status, message)`: JSON `{"error": message}` or an HTML error page."""

    def __init__(self, status: int, message: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class JsonAnswer(PixelfedError):
    """An explicit JSON response coded in a controller: sent as is in every mode."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(str(body))
        self.status = status
        self.body = body
        self.headers = headers or {}


# --- validation (Laravel's messages) --------------------------------------------------------


class Validator:
    """Collects Laravel-style messages per field; `check()` raises if there are any."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params
        self.errors: dict[str, list[str]] = {}

    def fail(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def present(self, key: str) -> bool:
        return self.params.get(key) not in (None, "")

    def string(self, key: str, max_length: int) -> None:
        value = self.params.get(key)
        if value is None:
            return
        label = _label(key)
        if not isinstance(value, str):
            self.fail(key, f"The {label} must be a string.")
        elif len(value) > max_length:
            self.fail(key, f"The {label} must not be greater than {max_length} characters.")

    def array(self, key: str, max_items: int) -> None:
        value = self.params.get(key)
        if value is None:
            return
        label = _label(key)
        if not isinstance(value, list):
            self.fail(key, f"The {label} must be an array.")
        elif len(value) > max_items:
            self.fail(key, f"The {label} must not have more than {max_items} items.")

    def boolean(self, key: str) -> None:
        value = self.params.get(key)
        if value is not None and parse_bool(value) is None:
            self.fail(key, f"The {_label(key)} field must be true or false.")

    def one_of(self, key: str, allowed: tuple[str, ...]) -> None:
        value = self.params.get(key)
        if value is not None and value not in allowed:
            self.fail(key, f"The selected {_label(key)} is invalid.")

    def required(self, key: str) -> None:
        if not self.present(key):
            self.fail(key, f"The {_label(key)} field is required.")

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


def _label(key: str) -> str:
    return key if "." in key else key.replace("_", " ")


def parse_bool(value: Any) -> bool | None:
    """Laravel's `boolean` rule; also "true"/"false", which Mastodon clients send."""
    if isinstance(value, bool):
        return value
    if value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("0", "1", "true", "false"):
        return value.lower() in ("1", "true")
    return None


# --- request bodies as PHP parses them -----------------------------------------------------


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


def collect_params(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """PHP's way with repeated keys: `a[]=1&a[]=2` and `a[0]=1` make lists, `a=1` a scalar."""
    params: dict[str, Any] = {}
    indexed: dict[str, dict[int, Any]] = {}
    for key, value in pairs:
        match = re.fullmatch(r"([^\[\]]+)\[(\d*)\]", key)
        if match is None:
            params[key] = value
            continue
        name, index = match.groups()
        slots = indexed.setdefault(name, {})
        slots[int(index) if index else len(slots)] = value
    for name, slots in indexed.items():
        params[name] = [slots[i] for i in sorted(slots)]
    return params


def parse_body(content_type: str, body: bytes, method: str, ignore_multipart_put: bool) -> Any:
    """The request body as a dict (JSON, urlencoded or multipart), or {} when unparsed."""
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        try:
            parsed = json.loads(body or b"{}")
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    if media_type == "application/x-www-form-urlencoded":
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        return collect_params(list(pairs))
    if media_type == "multipart/form-data":
        if method != "POST" and ignore_multipart_put:
            return {}
        return collect_params(parse_multipart(content_type, body))
    return {}


def parse_multipart(content_type: str, body: bytes) -> list[tuple[str, Any]]:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        return []
    delimiter = b"--" + match.group(1).encode("latin-1")
    pairs: list[tuple[str, Any]] = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        headers = _part_headers(head.decode("utf-8", "replace"))
        disposition = headers.get("content-disposition", "")
        name = _disposition_param(disposition, "name")
        if name is None:
            continue
        filename = _disposition_param(disposition, "filename")
        if filename is None:
            pairs.append((name, data.decode("utf-8", "replace")))
        else:
            declared = headers.get("content-type", "application/octet-stream")
            pairs.append((name, UploadedFile(filename, declared, data)))
    return pairs


def _part_headers(head: str) -> dict[str, str]:
    headers = {}
    for line in head.split("\r\n"):
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


def _disposition_param(disposition: str, name: str) -> str | None:
    match = re.search(rf'(?:^|;)\s*{name}="([^"]*)"', disposition)
    if match is None:
        match = re.search(rf"(?:^|;)\s*{name}=([^;\s]+)", disposition)
    return match.group(1) if match else None


# --- uploads -------------------------------------------------------------------------------


def sniff_mime(data: bytes) -> str:
    """The MIME type finfo would report, from magic bytes."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain" if data else "application/x-empty"


def image_size(data: bytes) -> tuple[int, int] | None:
    from io import BytesIO

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(BytesIO(data)) as image:
            return image.size
    except (UnidentifiedImageError, OSError, ValueError):
        return None
