"""State, settings, ids, parameters and text rules of the Mastodon simulator.

`sandbox/mastodon_server.py` holds the HTTP side; this module holds what it works on: the
switches (`MastodonSettings`), the inspectable in-memory state (`MastodonState` and its
records), Snowflake ids, request parameters parsed the way Rails does, the answers
Mastodon gives for errors (`Api::ErrorHandling`), and how a status is counted and
rendered. Every rule names the Mastodon source it follows (see `FIDELITY-mastodon.md`).
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

DAY = 86400.0
VERSION = "4.4.3"
VISIBILITIES = ("public", "unlisted", "private", "direct")
IMAGE_MIME_TYPES = (
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/heic",
    "image/heif",
    "image/webp",
    "image/avif",
)
"""`MediaAttachment::IMAGE_MIME_TYPES`."""
VIDEO_MIME_TYPES = ("video/webm", "video/mp4", "video/quicktime", "video/ogg")
AUDIO_MIME_TYPES = ("audio/wave", "audio/wav", "audio/x-wav", "audio/ogg", "audio/mpeg")


@dataclass
class MastodonSettings:
    """Server limits and the behaviour of older versions. Change fields at any time."""

    max_characters: int = 500
    """`StatusLengthValidator::MAX_CHARS` (MAX_TOOT_CHARS on forks)."""
    max_media_attachments: int = 4
    image_size_limit: int = 16 * 1024 * 1024
    """`MediaAttachment::IMAGE_LIMIT` (MAX_IMAGE_SIZE)."""
    description_limit: int = 1500
    """`MediaAttachment::MAX_DESCRIPTION_LENGTH` (1,500 until 4.5; 10,000 from 4.6)."""
    image_matrix_limit: int = 33_177_600
    """`Attachmentable::MAX_MATRIX_LIMIT`; GIFs are held to 921,600 pixels."""
    gif_matrix_limit: int = 921_600

    v2_instance: bool = True
    """False: Mastodon before 4.0 (only /api/v1/instance)."""
    reports_description_limit: bool = True
    """False: Mastodon before 4.4 (`description_limit` missing from the instance)."""
    v2_media: bool = True
    """False: Mastodon before 3.1.3 (only POST /api/v1/media)."""
    status_source: bool = True
    """False: Mastodon before 3.5 (no GET /api/v1/statuses/{id}/source)."""
    delete_media_param: bool = True
    """False: Mastodon before 4.4 (`delete_media` is ignored: media kept for a redraft)."""
    delay_image_processing: bool = False
    """True: images are processed after the answer, as before 4.1 (#19617): v2 answers
    202 with `url: null` and GET /api/v1/media/{id} answers 206 until done. GIFs (made
    into videos) are always processed that way."""
    processing_seconds: float = 3.0
    failing_media_sha256: set[str] = field(default_factory=set)
    """Uploads whose processing fails (GET /api/v1/media/{id} then answers 422)."""

    per_token_limit: int | None = 300
    """rack-attack `throttle_per_token_api`: API calls per token per 5 minutes."""
    per_user_limit: int | None = 1500
    """rack-attack `throttle_authenticated_api`: API calls per account per 5 minutes."""
    unauthenticated_limit: int | None = 300
    media_limit: int | None = 30
    """rack-attack `throttle_api_media`: uploads per account per 30 minutes."""
    delete_limit: int | None = 30
    """rack-attack `throttle_api_delete`: status deletions per account per 30 minutes."""
    paging_limit: int | None = 300
    """rack-attack `throttle_authenticated_paging`: paged reads per account per 15 minutes."""
    statuses_limit: int | None = 300
    """`RateLimiter::FAMILIES[:statuses]`: creations and edits per account per 3 hours."""

    idempotency_seconds: float = 3600.0
    """How long a status's Idempotency-Key is remembered (`redis.setex`)."""
    removal_delay_seconds: float = 0.0
    """A deleted status disappears at once; its media are released or destroyed by
    `RemovalWorker` after this long."""
    orphan_media_seconds: float = DAY
    """`Vacuum::MediaAttachmentsVacuum::TTL`: unattached media older than this are removed."""

    instance_title: str = "Mastodon Simulator"
    contact_email: str = "admin@mastodon.test"


# --- state ---------------------------------------------------------------------------------


@dataclass
class Account:
    id: str
    username: str
    display_name: str
    created_at: float
    confirmed: bool = True
    """False: 403 "Your login is missing a confirmed e-mail address"."""
    approved: bool = True
    """False: 403 "Your login is currently pending approval"."""
    disabled: bool = False
    """True: 403 "Your login is currently disabled"."""
    suspended: bool = False
    """True: 403 "Your login is currently disabled" (`require_not_suspended!`)."""
    silenced: bool = False
    """A limited account's public posts become unlisted (`PostStatusService`)."""
    default_privacy: str = "public"
    default_sensitive: bool = False


@dataclass
class AccessToken:
    """A bearer token; the token itself is not kept, only its sha256 (the state's key)."""

    id: int
    digest: str = field(repr=False)
    account_id: str
    scopes: frozenset[str]
    revoked: bool = False
    expires_at: float | None = None
    """Mastodon's tokens do not expire (`access_token_expires_in nil`)."""


@dataclass
class Media:
    id: str
    account_id: str
    mime: str
    type: str
    """`image`, `gifv`, `video` or `audio`."""
    size: int
    sha256: str
    description: str | None
    created_at: float
    width: int | None = None
    height: int | None = None
    focus: tuple[float, float] | None = None
    processing: str = "complete"
    """`complete`, `queued` (until `ready_at`) or `failed`."""
    ready_at: float = 0.0
    status_id: str | None = None


@dataclass
class StatusEdit:
    """One `StatusEdit` snapshot (the first edit also snapshots the original)."""

    text: str
    spoiler_text: str
    sensitive: bool
    media_ids: list[str]
    media_descriptions: list[str | None]
    created_at: float
    counted: bool
    """Whether it counted against the statuses rate limit (the original's does not)."""


@dataclass
class Status:
    id: str
    account_id: str
    text: str
    spoiler_text: str
    sensitive: bool
    visibility: str
    language: str
    media_ids: list[str]
    created_at: float
    edited_at: float | None = None
    deleted_at: float | None = None
    """Set by DELETE: the status is invisible from then on (`discard_with_reblogs`)."""
    removal_due: float | None = None
    redraft: bool = True
    removed: bool = False
    """`RemovalWorker` ran: the record is destroyed, its media released or destroyed."""
    edits: list[StatusEdit] = field(default_factory=list)
    idempotency_key: str | None = None
    in_reply_to_id: str | None = None

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass
class MastodonState:
    """Everything the simulator knows. Read it from tests; change it through the simulator."""

    accounts: dict[str, Account] = field(default_factory=dict)
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    media: dict[str, Media] = field(default_factory=dict)
    statuses: dict[str, Status] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict)
    """(account id, key) -> (status id, expiry time), as `idempotency:status:<id>:<key>`."""
    throttles: dict[tuple[str, str, int], int] = field(default_factory=dict)
    """(throttle name, discriminator, window number) -> requests counted (rack-attack)."""
    families: dict[tuple[str, str, int], int] = field(default_factory=dict)
    """(account id, family, window number) -> records counted (`RateLimiter`)."""
    removed_media_ids: list[str] = field(default_factory=list)
    """Media destroyed by deletion (`delete_media`) or by the orphan vacuum, in order."""


# --- ids -------------------------------------------------------------------------------------


class SnowflakeIds:
    """`Mastodon::Snowflake`: the creation time in milliseconds shifted left 16 bits, plus
    a sequence, so ids of every table grow with time and compare across tables."""

    def __init__(self) -> None:
        self._last = 0

    def next(self, now: float) -> str:
        self._last = max(self._last + 1, int(now * 1000) << 16)
        return str(self._last)


# --- errors as Api::ErrorHandling answers them ------------------------------------------------


class MastodonAnswer(Exception):
    """Raised by handlers; the simulator sends it as a JSON answer."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(json.dumps(body))
        self.status = status
        self.body = body
        self.headers = headers or {}


def record_not_found() -> MastodonAnswer:
    """`rescue_from ActiveRecord::RecordNotFound`."""
    return MastodonAnswer(404, {"error": "Record not found"})


def not_found() -> MastodonAnswer:
    """`not_found` -> `respond_with_error(404)` in API controllers."""
    return MastodonAnswer(404, {"error": "Not Found"})


def validation_failed(*messages: str) -> MastodonAnswer:
    """`ActiveRecord::RecordInvalid`: the model's full messages after "Validation failed: "."""
    return MastodonAnswer(422, {"error": f"Validation failed: {', '.join(messages)}"})


def validation_error(message: str) -> MastodonAnswer:
    """`Mastodon::ValidationError`: the bare message."""
    return MastodonAnswer(422, {"error": message})


def forbidden(message: str) -> MastodonAnswer:
    return MastodonAnswer(403, {"error": message})


def invalid_token(description: str) -> MastodonAnswer:
    """Doorkeeper's 401 (`doorkeeper_unauthorized_render_options`)."""
    header = f'Bearer realm="Doorkeeper", error="invalid_token", error_description="{description}"'
    return MastodonAnswer(401, {"error": description}, {"WWW-Authenticate": header})


TOO_MANY_REQUESTS = "Too many requests"
"""`I18n.t('errors.429')`."""
OUTSIDE_SCOPES = "This action is outside the authorized scopes"
NOT_READY = "Cannot attach files that have not finished processing. Try again in a moment!"
TOO_MANY_FILES = "Cannot attach more than {limit} files"
MEDIA_NOT_FOUND = "Media {ids} not found or already attached to another post"
FILE_TYPE_ERROR = "File type of uploaded media could not be verified"
PROCESSING_ERROR = "Error processing thumbnail for uploaded media"
IN_USAGE_ERROR = "Media attachment is currently used by a status"
REPLY_NOT_FOUND = "The post you are trying to reply to does not appear to exist."


# --- request parameters as Rails parses them ----------------------------------------------------


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


def rails_params(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Form fields with Rails' bracket rules: `a[]` lists, `a[b]` hashes, `a[][b]` lists of
    hashes (a new hash starts when a key repeats), `a[0][b]` hashes with index keys."""
    params: dict[str, Any] = {}
    for key, value in pairs:
        name, _, rest = key.partition("[")
        path = re.findall(r"\[([^\]]*)\]", "[" + rest) if rest else []
        _assign(params, [name, *path], value)
    return {k: _indexed_to_list(v) for k, v in params.items()}


def _assign(target: dict[str, Any], path: list[str], value: Any) -> None:
    head, rest = path[0], path[1:]
    if not rest:
        target[head] = value
        return
    if rest[0] == "":
        items = target.setdefault(head, [])
        if not isinstance(items, list):
            return
        if len(rest) == 1:
            items.append(value)
            return
        child_key = rest[1]
        if not items or not isinstance(items[-1], dict) or child_key in items[-1]:
            items.append({})
        _assign(items[-1], rest[1:], value)
        return
    child = target.setdefault(head, {})
    if isinstance(child, dict):
        _assign(child, rest, value)


def _indexed_to_list(value: Any) -> Any:
    """`{"0": {...}, "1": {...}}` is accepted where an array of hashes is permitted."""
    if isinstance(value, dict) and value and all(k.isdigit() for k in value):
        return [value[k] for k in sorted(value, key=int)]
    return value


def parse_json_body(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def cast_boolean(value: Any) -> bool | None:
    """`ActiveModel::Type::Boolean`: "" and nil are nil; listed false values are false."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return str(value) not in ("0", "f", "F", "false", "FALSE", "off", "OFF")


def truthy_param(value: Any) -> bool:
    """`truthy_param?`: true, "true", "1" and the like."""
    return bool(cast_boolean(value))


def id_list(value: Any) -> list[str] | None:
    """`params.permit(media_ids: [])`: only an array of scalars is kept."""
    if not isinstance(value, list):
        return None
    return [str(v) for v in value if isinstance(v, str | int) and not isinstance(v, bool)]


# --- uploads -------------------------------------------------------------------------------


def sniff_mime(data: bytes) -> str:
    """The MIME type the `file` utility reports, from magic bytes."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "image/heic"
    if data[4:12] == b"ftypavif":
        return "image/avif"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain" if data else "application/x-empty"


def image_size(data: bytes) -> tuple[int, int] | None:
    """What FastImage reads from the header, or None when it is no readable image."""
    from io import BytesIO

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(BytesIO(data)) as image:
            image.verify()
            return image.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    except Image.DecompressionBombError:
        return (1 << 16, 1 << 16)


def human_size(size: int) -> str:
    """Paperclip's `human_size` for limits (`16 MB`)."""
    megabytes = size / (1024 * 1024)
    return f"{megabytes:.0f} MB" if megabytes.is_integer() else f"{megabytes:.1f} MB"


# --- counting and rendering a status (StatusLengthValidator, TextFormatter) ----------------------

URL_PLACEHOLDER = "x" * 23
_URL = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
_MENTION = re.compile(
    r"(?<![=/\w])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(@\w+(?:[.-]+\w+)*)?", re.IGNORECASE
)
_HASHTAG = re.compile(r"(?:^|(?<=\s))[#＃](\w*[^\W\d]\w*)")
_TRAILING_PUNCTUATION = ".,;:!?'\")]}"


def _urls(text: str) -> list[tuple[int, int]]:
    spans = []
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING_PUNCTUATION)
        spans.append((match.start(), match.start() + len(url)))
    return spans


def countable_text(text: str) -> str:
    """The text with every URL replaced by 23 characters and mentions by their local part."""
    out, last = [], 0
    for start, end in _urls(text):
        out += [text[last:start], URL_PLACEHOLDER]
        last = end
    out.append(text[last:])
    return _MENTION.sub(lambda m: "@" + m.group(1), "".join(out))


def grapheme_clusters(text: str) -> int:
    """Extended grapheme clusters, for the scripts and emoji a caption holds: marks,
    variation selectors, emoji modifiers and tags and ZWJ sequences join the previous
    cluster; regional indicators pair into flags; CR LF is one."""
    clusters = 0
    after_joiner = False
    pending_flag = False
    previous = ""
    for char in text:
        code = ord(char)
        extends = (
            unicodedata.category(char) in ("Mn", "Mc", "Me")
            or 0xFE00 <= code <= 0xFE0F
            or 0x1F3FB <= code <= 0x1F3FF
            or 0xE0020 <= code <= 0xE007F
            or code == 0x200D
        )
        if 0x1F1E6 <= code <= 0x1F1FF:
            if pending_flag:
                pending_flag = False
                previous = char
                continue
            pending_flag = True
        else:
            pending_flag = False
        if not (extends or after_joiner or (previous == "\r" and char == "\n")):
            clusters += 1
        after_joiner = code == 0x200D
        previous = char
    return clusters


def status_length(text: str, spoiler_text: str) -> int:
    return grapheme_clusters(spoiler_text + countable_text(text))


def hashtags(text: str) -> list[str]:
    """`Tag::HASHTAG_RE` names, first spelling kept, case-insensitively unique."""
    seen: dict[str, str] = {}
    for name in _HASHTAG.findall(text):
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def render_content(text: str, base: str) -> str:
    """`TextFormatter`: paragraphs, `<br />`, escaped text, linked URLs and hashtags."""
    if not text:
        return ""
    paragraphs = re.split(r"\n\n+", text.replace("\r\n", "\n"))
    return "".join(f"<p>{_render_line(p, base).replace(chr(10), '<br />')}</p>" for p in paragraphs)


def _render_line(text: str, base: str) -> str:
    out, last = [], 0
    for start, end in _urls(text):
        out.append(_render_words(text[last:start], base))
        url = text[start:end]
        scheme, _, rest = url.partition("://")
        out.append(
            f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" '
            f'translate="no"><span class="invisible">{scheme}://</span>'
            f'<span class="">{html.escape(rest)}</span><span class="invisible"></span></a>'
        )
        last = end
    out.append(_render_words(text[last:], base))
    return "".join(out)


def _render_words(text: str, base: str) -> str:
    escaped = html.escape(text, quote=False)
    return _HASHTAG.sub(
        lambda m: (
            f'<a href="{base}/tags/{m.group(1).lower()}" class="mention hashtag" rel="tag">'
            f"#<span>{m.group(1)}</span></a>"
        ),
        escaped,
    )
