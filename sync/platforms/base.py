"""The platform interface the engine uses, and one error taxonomy for every platform.

A platform adapter turns a rendered post (a plain value object) into remote calls. Every
failure it raises is one of five kinds, so the engine can act without knowing the
platform: retry (`TransientError`), wait and retry (`RateLimited`), give the photo an
error name (`PermanentError`), stop this platform (`AuthError`), or stop this kind of
change for the run without blaming the photo (`AccountLimited`). A transient failure
of a call that changes something is `AmbiguousError`: it may have happened, so the engine
reconciles (by marker or journaled ids) before it tries again.
"""

from __future__ import annotations

import abc
import asyncio
import os
import re
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

import httpx

from imatch.tls import tls_context_for
from sync.error_names import FILE_NOT_FOUND, FILE_NOT_READABLE
from sync.published import Published
from sync.visible_text import visible

# --- errors -------------------------------------------------------------------------------


class PlatformError(Exception):
    """Base of every platform failure. Messages never contain tokens or secrets."""


class TransientError(PlatformError):
    """Worth retrying later: a timeout, a dropped connection, HTTP 5xx, flickr 105/106."""


class AmbiguousError(TransientError):
    """A call that changes something failed in a way that hides whether it happened."""


class RateLimited(TransientError):
    """The platform asked us to slow down; `retry_after` is in seconds when known."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PermanentError(PlatformError):
    """This photo cannot be done as it is; `error_name` becomes `__errors|<name>`."""

    def __init__(self, error_name: str, detail: str = "") -> None:
        super().__init__(f"{error_name}: {detail}" if detail else error_name)
        self.error_name = error_name
        self.detail = detail


def uncertain(detail: str, changes_something: bool) -> TransientError:
    """A failed call whose effect is unknown: AmbiguousError for one that may have
    changed something (a write), TransientError for a read (retrying it is harmless)."""
    return AmbiguousError(detail) if changes_something else TransientError(detail)


class AuthError(PlatformError):
    """The login is missing, refused, expired or lacks permission: stop this platform."""


class AccountLimited(PlatformError):
    """The account refuses this kind of change for now (upload limit reached, storage
    full, too many private photos on a free account): stop that kind of change on this
    platform for the run, with this message. It says nothing about the photo, so it is
    never remembered against it: the next run tries again."""


# --- addresses ----------------------------------------------------------------------------


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
# A name (IDNA-encoded when it has other letters), an IPv4 or an IPv6 address.
_HOST = re.compile(r"[A-Za-z0-9.-]+|[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*")


def checked_server_url(address: str, setting: str, what: str) -> str:
    """A server's address (`what`, e.g. "an https:// address, e.g. https://pixelfed.social")
    without a trailing slash. ValueError naming `setting` (where the address was set) when
    it is no server address, or plain http to anything but this computer (the token would
    travel unencrypted)."""
    try:
        url = httpx.URL(address.strip())
        port = url.port
    except (httpx.InvalidURL, ValueError):
        url, port = httpx.URL(""), None
    host = url.raw_host.decode("ascii", "replace")
    if (
        url.scheme not in ("https", "http")
        or not _HOST.fullmatch(host)
        or not (port is None or 0 < port < 65536)
    ):
        raise ValueError(f"{setting} must be {what} (got {address!r})")
    if url.scheme == "http" and url.host not in LOOPBACK_HOSTS:
        raise ValueError(
            f"{setting} {address!r} uses plain http: the token would travel unencrypted. "
            "Use https:// (plain http is allowed only for 127.0.0.1, ::1 and localhost)"
        )
    return str(url).rstrip("/")


# --- values -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, init=False)
class MediaFile:
    """The file that is uploaded."""

    location: str
    """Where the file is, as given: `path` makes the `Path` when asked. A plan holds one
    file per photo, and a `Path` kept for each (its parts parsed, in Python 3.11) was
    about 400 bytes more than its text: 20 MB at 50,000 photos."""
    size: int
    format: str
    """IMatch's format tag, e.g. `JPEG`."""

    def __init__(self, path: str | os.PathLike[str], size: int, format: str) -> None:
        object.__setattr__(self, "location", os.fspath(path))
        object.__setattr__(self, "size", size)
        object.__setattr__(self, "format", format)

    @property
    def path(self) -> Path:
        return Path(self.location)


@dataclass(frozen=True)
class RemoteRef:
    """Where a photo lives on a platform: the ids stored in its IMatch attribute record."""

    ids: Mapping[str, str]
    """Attribute name -> value, e.g. `{"photo_id": "123"}` or media_id and status_id."""
    url: str = ""

    def record(self, posted: str) -> dict[str, str]:
        """The values of the IMatch attribute record for this post."""
        return {"posted": posted, **self.ids, "url": self.url}


@dataclass(frozen=True)
class Account:
    """Who we are logged in as."""

    id: str
    name: str
    url: str = ""


@dataclass(frozen=True)
class Limits:
    """What the platform accepts; checked before anything is sent."""

    max_file_bytes: int
    formats: frozenset[str]
    """IMatch format tags that may be uploaded (`JPEG`, `PNG`, ...)."""
    max_caption_chars: int | None = None
    max_alt_text_chars: int | None = None
    max_tags: int | None = None
    max_title_chars: int | None = None
    replaces_images: bool = True
    """False when a published post's image cannot be replaced (pixelfed): an update then
    sends the text only."""
    fixed_fields: frozenset[str] = frozenset()
    """Published fields (sync/published.py) an update cannot change on a published post
    (pixelfed and Mastodon: `visibility`): a photo that changed only there is left alone,
    with a note, instead of an update that could not make the change."""


@dataclass(frozen=True)
class PendingMembership:
    """A group membership the platform has not made yet, and why (DESIGN section 4)."""

    group: str
    reason: str
    retry_after: float | None = None
    """Seconds after which trying again is worth a call (the group's throttle); None when
    there is nothing to retry: the add is done and waits for the group's moderators."""


@dataclass(frozen=True)
class Outcome:
    """What an add or update did: where the photo is, and what went only partly right."""

    ref: RemoteRef
    warnings: tuple[str, ...] = ()
    calls: int = 0
    """Remote API calls this operation made."""
    pending: tuple[PendingMembership, ...] = ()
    """Group adds the platform deferred (throttled) or queued (moderated pools)."""
    kept_image: bool = False
    """An image replace was asked for and the platform kept the published image."""
    unsettled: tuple[str, ...] = ()
    """Published fields (sync/published.py) the platform refused part of: not recorded
    as published, so they show as changed until they are."""
    refused_groups: tuple[str, ...] = ()
    """Groups the platform would not add the photo to (each with its warning)."""


@dataclass
class Tally:
    """What one operation (connect, add, update, delete) did so far: its remote calls
    (reported in `Outcome.calls`) and, for an add or update, what went only partly right.
    Every adapter counts with it; `outcome` makes the operation's `Outcome`."""

    calls: int = 0
    warnings: list[str] = field(default_factory=list)
    pending: list[PendingMembership] = field(default_factory=list)
    kept_image: bool = False
    unsettled: set[str] = field(default_factory=set)
    """Published fields the platform refused part of (e.g. flickr's `date`, `albums`)."""
    refused_groups: list[str] = field(default_factory=list)

    def outcome(self, ref: RemoteRef) -> Outcome:
        return Outcome(
            ref,
            tuple(self.warnings),
            self.calls,
            tuple(self.pending),
            self.kept_image,
            tuple(sorted(self.unsettled)),
            tuple(self.refused_groups),
        )

    def refused(self, field_name: str, warning: str) -> None:
        """A part of the post the platform did not take: a warning, and the field is not
        recorded as published (so it shows as changed until it is)."""
        self.unsettled.add(field_name)
        self.warnings.append(warning)

    def visibility_kept(self, platform: str, current: str, wanted: str) -> None:
        """The post keeps its `current` visibility: `platform` cannot change it by editing
        (not recorded as published, so the photo stays changed)."""
        self.refused(
            "visibility",
            f"the post stays {current}: {platform} cannot change a post's visibility by "
            f"editing; delete and add it again to make it {wanted}",
        )

    def refused_group(self, group: str, warning: str) -> None:
        """The platform would not add the photo to `group` (see `refused`)."""
        self.refused("groups", warning)
        self.refused_groups.append(group)


def bearer_client(
    base_url: str,
    token: str,
    timeout: float,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """The HTTP client of a server reached with a bearer token (a JSON API): redirects
    are not followed (an API that redirects is misconfigured, and a token must not follow
    one), TLS as every client of the app has it (`imatch.tls`)."""
    return httpx.AsyncClient(
        base_url=base_url,
        headers={"Authorization": f"Bearer {token.strip()}", "Accept": "application/json"},
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        transport=transport,
        verify=tls_context_for(base_url),
    )


async def read_upload(file: MediaFile) -> bytes:
    """The bytes of the file to upload. A missing file is `file not found`; one that is
    there but cannot be read now (open in another program, permissions) is `file not
    readable`, which the next run tries again. The same on every platform."""
    try:
        return await asyncio.to_thread(file.path.read_bytes)
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise PermanentError(FILE_NOT_FOUND, str(file.path)) from exc
    except OSError as exc:
        raise PermanentError(FILE_NOT_READABLE, f"{file.path}: {exc.strerror or exc}") from exc


Checkpoint = Callable[[Mapping[str, str]], Awaitable[None]]
"""Called by `add` with remote ids as soon as they exist (the engine journals them)."""

PostT = TypeVar("PostT")


async def _no_checkpoint(ids: Mapping[str, str]) -> None:
    return None


class Platform(abc.ABC, Generic[PostT]):
    """One logged-in account on one platform."""

    name: str
    record_keys: tuple[str, ...]
    """Attribute names (besides `posted` and `url`) that identify a post."""

    own_limits: tuple[str, ...] = ()
    """Limits the platform itself enforces on our work, in words for the run panel."""

    @abc.abstractmethod
    async def connect(self) -> Account:
        """Check the login and read the platform's limits. Raises AuthError."""

    @abc.abstractmethod
    async def limits(self) -> Limits:
        """The platform's limits (read once, then cached)."""

    @abc.abstractmethod
    async def add(
        self,
        post: PostT,
        marker: str,
        checkpoint: Checkpoint = _no_checkpoint,
        resume: Mapping[str, str] | None = None,
    ) -> Outcome:
        """Publish a new photo carrying `marker` (our intent id, lower-case hex).

        `checkpoint` receives remote ids the moment they exist; `resume` passes back ids
        journaled by an interrupted attempt (e.g. an uploaded pixelfed media) for reuse.
        Steps after the first remote creation report problems as warnings, not errors.
        """

    @abc.abstractmethod
    async def update(
        self,
        ref: RemoteRef,
        post: PostT,
        replace_image: bool,
        previous: Published | None = None,
    ) -> Outcome:
        """Bring a published photo in line with `post`; change only what differs.

        `previous` is what was last published of it (the state store), when known: a
        platform may then skip reading the post, and remove only what we set (a
        three-way merge) rather than what the user added on the platform by hand."""

    @abc.abstractmethod
    async def delete(self, ref: RemoteRef) -> None:
        """Delete a published photo of the logged-in account.

        Already gone counts as done only when the record shows the post was this
        account's; a post of another account, or a record whose ids do not belong
        together, raises PermanentError (POSTED_BY_ANOTHER_ACCOUNT, RECORD_MISMATCH or
        "not found") and nothing is deleted."""

    async def add_to_groups(self, ref: RemoteRef, groups: tuple[str, ...]) -> Outcome:
        """Add a published photo to groups an earlier run had to leave pending.

        Platforms without groups have nothing to do."""
        return Outcome(ref)

    @abc.abstractmethod
    async def find_by_marker(
        self, marker: str, known: Mapping[str, str] | None = None
    ) -> RemoteRef | None:
        """The post an interrupted `add` created, if any (crash recovery)."""

    def ref_from_record(self, values: Mapping[str, str]) -> RemoteRef | None:
        """The remote ids in an IMatch attribute record, or None when they are missing."""
        # An id that shows nothing (a zero-width space typed in IMatch) is no id.
        ids = {key: visible(str(values.get(key, ""))) for key in self.record_keys}
        if not all(ids.values()):
            return None
        return RemoteRef(ids, str(values.get("url", "")))

    async def close(self) -> None:
        """Release connections and threads."""


# --- rate limiting ------------------------------------------------------------------------

WaitListener = Callable[[float], None]
NOTICEABLE_WAIT = 1.0
"""Waits shorter than this (the normal pacing between calls) are not announced."""


def pace_words(concurrency: int, rate_per_hour: float, own_limits: tuple[str, ...] = ()) -> str:
    """`4 photos at a time, at most 50 calls a second; 10 alt-text updates a minute`."""
    photos = "1 photo" if concurrency == 1 else f"{concurrency} photos"
    if rate_per_hour >= 3600:
        calls = f"at most {rate_per_hour / 3600:,.4g} calls a second"
    else:
        calls = f"at most {rate_per_hour:,.0f} calls an hour"
    return "; ".join((f"{photos} at a time, {calls}", *own_limits))


@dataclass
class RateLimiter:
    """Paces every call to one platform and keeps within its limit in any window of time.

    Two rules at once. A token bucket (`rate_per_hour` calls an hour on average, up to
    `burst` at once) spreads calls evenly; a rolling window allows at most `window_limit`
    calls (default: `rate_per_hour` scaled to `window` seconds) in any `window` seconds,
    the burst included, which is how platforms count: flickr allows 3,600 calls in any
    hour, pixelfed 10 media updates in any minute. `acquire()` waits when either rule says
    so and tells each listener how long, so the UI can say "waiting for the rate limit".
    """

    rate_per_hour: float = 3600.0
    burst: int = 60
    window: float = 3600.0
    window_limit: int | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    listeners: list[WaitListener] = field(default_factory=list)
    wall: Callable[[], float] = time.time
    """Epoch seconds: how calls are dated for other processes (`calls_in_window`)."""
    _tokens: float = field(init=False)
    _updated: float = field(init=False)
    _pause_until: float = field(init=False, default=0.0)
    _granted: deque[float] = field(init=False, default_factory=deque)
    _lock: asyncio.Lock | None = field(init=False, default=None)
    _slept_short: float = field(init=False, default=0.0)
    _wall_offset: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self._tokens = float(self.burst)
        self._updated = self._now()
        if self.window_limit is None:
            self.window_limit = max(1, int(self.rate_per_hour * self.window / 3600.0))

    @property
    def per_second(self) -> float:
        return self.rate_per_hour / 3600.0

    def _now(self) -> float:
        """The clock, plus whatever a `sleep` that returned early did not wait.

        A wait the limiter asked for counts as waited once `sleep` returns: a sleep that
        does not wait (a test's, or a loop's clock running behind) cannot make `acquire`
        ask again and again, spinning on the processor until the real time has passed."""
        return self.clock() + self._slept_short

    def _refill(self) -> None:
        now = self._now()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.per_second)
        self._updated = now

    def pause(self, seconds: float) -> None:
        """The platform said 'too many requests': nobody calls for `seconds`."""
        self._pause_until = max(self._pause_until, self._now() + seconds)

    def _window_wait(self, now: float) -> float:
        """Seconds until one more call fits in the rolling window."""
        while self._granted and self._granted[0] <= now - self.window:
            self._granted.popleft()
        assert self.window_limit is not None
        if len(self._granted) < self.window_limit:
            return 0.0
        return self._granted[0] + self.window - now

    def _epoch_offset(self) -> float:
        """Epoch seconds minus this limiter's clock, taken once: a call is then the same
        moment every time it is saved and read back, however the wall clock moves."""
        if self._wall_offset is None:
            self._wall_offset = self.wall() - self._now()
        return self._wall_offset

    def calls_in_window(self) -> list[float]:
        """The calls granted within the window, in epoch seconds (kept for the next
        process: the platform counts the calls of every process with this key)."""
        now = self._now()
        offset = self._epoch_offset()
        return [moment + offset for moment in self._granted if moment > now - self.window]

    def count_earlier_calls(self, moments: Iterable[float]) -> None:
        """Calls made before (`calls_in_window` of an earlier process or run, epoch
        seconds) count in the window. A call known both here and there counts once:
        moments are matched to the millisecond, as many times as the most either has."""
        now = self._now()
        offset = self._epoch_offset()
        here = Counter(round(moment + offset, 3) for moment in self._granted)
        there = Counter(
            round(moment, 3) for moment in moments if now - self.window < moment - offset <= now
        )
        merged = here | there
        self._granted = deque(sorted(moment - offset for moment in merged.elements()))

    async def acquire(self) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            while True:
                self._refill()
                now = self._now()
                wait = max(0.0, self._pause_until - now, self._window_wait(now))
                # The tolerance stops float rounding from turning one wait into thousands.
                if wait == 0.0 and self._tokens >= 1.0 - 1e-6:
                    self._tokens = max(0.0, self._tokens - 1.0)
                    self._granted.append(now)
                    return
                if wait == 0.0:
                    wait = (1.0 - self._tokens) / self.per_second
                if wait >= NOTICEABLE_WAIT:
                    for listener in self.listeners:
                        listener(wait)
                await self.sleep(wait)
                self._slept_short += max(0.0, wait - (self._now() - now))


def plain_lines(text: str) -> str:
    """`text` with its line ends normalised to `\n`, trailing spaces dropped and the
    whole stripped: how every platform compares a text it keeps with ours."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def status_url_names(url: str, base_url: str, account: Account, status_id: str) -> bool:
    """True when `url` is this server's address of `account`'s status `status_id`, as
    the servers of the Mastodon API write it (`/@<user>/<id>`, or `/p/<user>/<id>`).

    A status that answers "not found" is taken as deleted only when the record's own
    address shows it was this account's: a wrong record is not forgotten silently."""
    try:
        parsed, base = urlsplit(url.strip()), urlsplit(base_url)
        same_host = (parsed.hostname or "") == (base.hostname or "") != ""
    except ValueError:
        return False
    if not same_host:
        return False
    parts = [part for part in parsed.path.split("/") if part]
    names = {account.name.lower().lstrip("@")}
    if len(parts) == 3 and parts[0] == "p":
        return parts[1].lower() in names and parts[2] == status_id
    if len(parts) == 2 and parts[0].startswith("@"):
        return parts[0][1:].lower() in names and parts[1] == status_id
    return False


def holds_media(status: Mapping[str, Any], media_id: str) -> bool:
    """True when a status entity of the Mastodon API lists `media_id` among its media."""
    attached = status.get("media_attachments") or []
    return any(isinstance(a, dict) and str(a.get("id")) == media_id for a in attached)


def status_ref(status: Mapping[str, Any], media_id: str) -> RemoteRef:
    """The record of a status entity of the Mastodon API that holds `media_id`."""
    ids = {"media_id": media_id, "status_id": str(status["id"])}
    return RemoteRef(ids, str(status.get("url") or ""))
