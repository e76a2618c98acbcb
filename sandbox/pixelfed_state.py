"""The pixelfed simulator's switches and state (reference platform-apis.md C).

`PixelfedSettings` holds the instance's limits and a switch for each of pixelfed's quirks;
the records extend the Mastodon-API core's (`sandbox/mastodon_api/state.py`) with what
pixelfed stores beside them, and `PixelfedState` adds its OAuth tables. HTTP is in
`sandbox/pixelfed_server.py`, the endpoints in `sandbox/pixelfed_methods.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.mastodon_api.state import ApiAccount, ApiMedia, ApiState, ApiStatus, ApiToken

DAY = 86400.0
VISIBILITIES = ("public", "unlisted", "private")
"""`statusCreate`: `visibility` is `in:private,unlisted,public`; no `direct` (C7)."""
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
    """How long a status's Idempotency-Key is remembered (`Cache::put($key, 1, 3600)`)."""

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


@dataclass(kw_only=True)
class Account(ApiAccount):
    email_verified: bool = True
    last_active_at: float | None = None
    is_private: bool = False
    """A private profile forces every new status to `private` (C7 step 6)."""
    is_unlisted: bool = False
    """An "unlisted" profile turns `public` into `unlisted` (C7 step 6)."""


@dataclass(kw_only=True)
class AccessToken(ApiToken):
    """A Passport token: it expires (`token_days`) and may belong to an OAuth app."""

    expires_at: float
    client_id: str | None = None


@dataclass(kw_only=True)
class RefreshToken:
    digest: str = field(repr=False)
    access_digest: str = field(repr=False)
    client_id: str
    expires_at: float
    revoked: bool = False


@dataclass(kw_only=True)
class OAuthApp:
    client_id: str
    name: str
    redirect_uris: list[str]
    client_secret: str = field(repr=False)


@dataclass(kw_only=True)
class AuthCode:
    client_id: str
    account_id: str
    redirect_uri: str
    scopes: frozenset[str]
    expires_at: float
    used: bool = False


@dataclass(kw_only=True)
class Media(ApiMedia):
    delete_at: float | None = None
    """Set by a v2 upload's `replace_id`: deleted at this time unless attached."""


@dataclass(kw_only=True)
class Status(ApiStatus):
    caption: str | None
    content: str | None
    """The rendered HTML; None after an edit cleared the caption (read back as null)."""
    tags: list[str] = field(default_factory=list)
    edit_count: int = 0
    history_rows: int = 0
    """Edit-history rows; the first edit writes two (original and new), later ones one."""
    purged: bool = False
    """The queued deletion job ran: the status and its media files are gone."""


@dataclass
class PixelfedState(ApiState[Account, AccessToken, Media, Status]):
    """Everything the simulator knows. Read it from tests; change it through the simulator.

    `idempotency` holds the keys of `statusCreate` (account id and the header's sha1)."""

    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    apps: dict[str, OAuthApp] = field(default_factory=dict)
    auth_codes: dict[str, AuthCode] = field(default_factory=dict, repr=False)

    @property
    def collected_media_ids(self) -> list[str]:
        """pixelfed's name for `removed_media_ids`: media removed by garbage collection,
        replacement or status deletion, in order."""
        return self.removed_media_ids
