"""What the engine tells its listeners (the TUI and the headless reporter) while it runs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    platform: str


@dataclass(frozen=True)
class PhotoStarted(Event):
    file_id: int
    name: str
    action: str


@dataclass(frozen=True)
class PhotoDone(Event):
    file_id: int
    name: str
    action: str
    url: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PhotoFailed(Event):
    file_id: int
    name: str
    action: str
    reason: str
    error_name: str = ""
    """Set when the failure is permanent for this photo (it goes to `__errors|<name>`)."""


@dataclass(frozen=True)
class Waiting(Event):
    seconds: float
    reason: str
    """`rate limit` or `retry`."""


@dataclass(frozen=True)
class Progress(Event):
    done: int
    total: int


@dataclass(frozen=True)
class PlatformStopped(Event):
    reason: str


@dataclass(frozen=True)
class PlatformLimited(Event):
    """The account refused uploads (limit reached, storage full): none more this run."""

    reason: str


@dataclass
class RunSummary:
    """What actually happened on one platform (not what was planned)."""

    platform: str
    added: int = 0
    updated: int = 0
    metadata: int = 0
    deleted: int = 0
    cleared: int = 0
    """`_delete` on photos that were never posted: flags cleared, nothing uploaded."""
    reposted: int = 0
    """Changed files deleted and added again as new posts (also counted as added)."""
    changed_left: int = 0
    """Photos changed in IMatch since they were published that this run left alone
    (`detect_changes = "show"`, or not chosen)."""
    adopted: int = 0
    """Posts an interrupted run had made, found again and recorded."""
    completed: int = 0
    """Updates and deletes of an interrupted run whose IMatch write-back was finished."""
    gone: list[str] = field(default_factory=list)
    """Interrupted changes of files no longer in IMatch, with the post's URL (left alone)."""
    unrecorded: int = 0
    """Changes made on the platform that IMatch could not record (IMatch stopped
    answering); the journal keeps them and the next run records them."""
    failed: int = 0
    errors: int = 0
    """Photos with error names (listed in IMatch under `__errors`)."""
    unchanged: int = 0
    skipped: int = 0
    """Not started because the run was cancelled or the platform stopped."""
    warnings: list[str] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    """(photo name, reason) for every failed photo."""
    error_photos: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    """(photo name, error names) for every photo with errors."""
    stopped: str = ""
    limited: str = ""
    """Why the account refused uploads; the rest were not started (tried again next run)."""
    cancelled: bool = False
    categories_written: bool = True
    """False when the `__errors` categories could not be brought up to date in IMatch."""

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.metadata + self.deleted + self.cleared


@dataclass(frozen=True)
class RunFinished(Event):
    summary: RunSummary


Listener = Callable[[Event], None]
