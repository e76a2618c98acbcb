"""The Mastodon simulator's switches and state.

`MastodonSettings` holds the server's limits and the behaviour of older versions; the
records extend the Mastodon-API core's (`sandbox/mastodon_api/state.py`) with what
Mastodon stores beside them (processing state, edit snapshots, removal by a worker), and
`MastodonState` adds rack-attack's and `RateLimiter`'s counters. Every rule names the
Mastodon source it follows (see `sandbox/FIDELITY.md`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.mastodon_api.state import ApiAccount, ApiMedia, ApiState, ApiStatus, ApiToken

DAY = 86400.0
VERSION = "4.4.3"
VISIBILITIES = ("public", "unlisted", "private", "direct")
"""`Status::Visibility`'s enum: `direct` is a visibility like the others."""
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


@dataclass(kw_only=True)
class Account(ApiAccount):
    confirmed: bool = True
    """False: 403 "Your login is missing a confirmed e-mail address"."""
    approved: bool = True
    """False: 403 "Your login is currently pending approval"."""
    disabled: bool = False
    """True: 403 "Your login is currently disabled"."""
    silenced: bool = False
    """A limited account's public posts become unlisted (`PostStatusService`)."""
    default_privacy: str = "public"
    default_sensitive: bool = False


@dataclass(kw_only=True)
class AccessToken(ApiToken):
    """A Doorkeeper token. Mastodon's tokens do not expire (`access_token_expires_in nil`):
    `expires_at` stays None."""

    id: int


@dataclass(kw_only=True)
class Media(ApiMedia):
    type: str
    """`image`, `gifv`, `video` or `audio`."""
    focus: tuple[float, float] | None = None
    processing: str = "complete"
    """`complete`, `queued` (until `ready_at`) or `failed`."""
    ready_at: float = 0.0


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


@dataclass(kw_only=True)
class Status(ApiStatus):
    text: str
    language: str
    removal_due: float | None = None
    redraft: bool = True
    removed: bool = False
    """`RemovalWorker` ran: the record is destroyed, its media released or destroyed."""
    edits: list[StatusEdit] = field(default_factory=list)


@dataclass
class MastodonState(ApiState[Account, AccessToken, Media, Status]):
    """Everything the simulator knows. Read it from tests; change it through the simulator.

    `idempotency` holds `idempotency:status:<account id>:<key>` -> the status it made;
    `removed_media_ids` the media destroyed by deletion (`delete_media`) or the vacuum."""

    throttles: dict[tuple[str, str, int], int] = field(default_factory=dict)
    """(throttle name, discriminator, window number) -> requests counted (rack-attack)."""
    families: dict[tuple[str, str, int], int] = field(default_factory=dict)
    """(account id, family, window number) -> records counted (`RateLimiter`)."""


# --- ids -------------------------------------------------------------------------------------


class SnowflakeIds:
    """`Mastodon::Snowflake`: the creation time in milliseconds shifted left 16 bits, plus
    a sequence, so ids of every table grow with time and compare across tables."""

    def __init__(self) -> None:
        self._last = 0

    def next(self, now: float) -> str:
        self._last = max(self._last + 1, int(now * 1000) << 16)
        return str(self._last)
