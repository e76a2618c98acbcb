"""The records every Mastodon-API server keeps, and the state that holds them.

Each simulator extends the four records with what its server stores beside them
(pixelfed's `last_active_at` and edit-history rows, Mastodon's processing state and
edit snapshots) and the state with its own tables (pixelfed's OAuth apps, Mastodon's
rate-limit counters). Tests read the state; they change it through the simulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar


@dataclass(kw_only=True)
class ApiAccount:
    id: str
    username: str
    display_name: str
    created_at: float
    suspended: bool = False


@dataclass(kw_only=True)
class ApiToken:
    """A bearer token; the token itself is not kept, only its sha256 (the state's key)."""

    digest: str = field(repr=False)
    account_id: str
    scopes: frozenset[str]
    revoked: bool = False
    expires_at: float | None = None


@dataclass(kw_only=True)
class ApiMedia:
    id: str
    account_id: str
    mime: str
    size: int
    sha256: str
    description: str | None
    created_at: float
    width: int | None = None
    height: int | None = None
    status_id: str | None = None
    """The status it is attached to; None while it waits to be posted."""


@dataclass(kw_only=True)
class ApiStatus:
    id: str
    account_id: str
    visibility: str
    media_ids: list[str]
    created_at: float
    sensitive: bool = False
    spoiler_text: str = ""
    in_reply_to_id: str | None = None
    idempotency_key: str | None = None
    edited_at: float | None = None
    deleted_at: float | None = None
    """Set by DELETE; what happens to the record and its media after that differs."""

    @property
    def deleted(self) -> bool:
        return self.deleted_at is not None


@dataclass
class RememberedKey:
    status_id: str | None
    expires_at: float


class IdempotencyKeys:
    """`Idempotency-Key` headers a server remembers per account, each until it expires
    (pixelfed: `Cache::put(..., 3600)`, Mastodon: `redis.setex(..., 3600, status.id)`).
    What a remembered key does to a repeat is the server's own policy."""

    def __init__(self) -> None:
        self._keys: dict[tuple[str, str], RememberedKey] = {}

    def recall(self, account_id: str, key: str, now: float) -> RememberedKey | None:
        """The key's entry while it lasts, else None."""
        entry = self._keys.get((account_id, key))
        return entry if entry is not None and now < entry.expires_at else None

    def remember(self, account_id: str, key: str, status_id: str | None, until: float) -> None:
        self._keys[(account_id, key)] = RememberedKey(status_id, until)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return f"IdempotencyKeys({len(self._keys)} keys)"


AccountT = TypeVar("AccountT", bound=ApiAccount)
TokenT = TypeVar("TokenT", bound=ApiToken)
MediaT = TypeVar("MediaT", bound=ApiMedia)
StatusT = TypeVar("StatusT", bound=ApiStatus)


@dataclass
class ApiState(Generic[AccountT, TokenT, MediaT, StatusT]):
    """Everything a Mastodon-API server knows, keyed by id (tokens by their digest)."""

    accounts: dict[str, AccountT] = field(default_factory=dict)
    tokens: dict[str, TokenT] = field(default_factory=dict)
    media: dict[str, MediaT] = field(default_factory=dict)
    statuses: dict[str, StatusT] = field(default_factory=dict)
    idempotency: IdempotencyKeys = field(default_factory=IdempotencyKeys)
    removed_media_ids: list[str] = field(default_factory=list)
    """Media removed (garbage collection, replacement, deletion with their status), in order."""
