"""In-memory state of the flickr simulator and the flickr rules that act on it.

Tags (raw and normalised, machine tags), dates taken with granularity, the limited HTML
a description keeps, group throttle windows, image types. Everything here is plain data
plus pure helpers; HTTP lives in `sandbox/flickr_server.py`.
"""

from __future__ import annotations

import html
import io
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

PERM_LEVELS = ("read", "write", "delete")
DEFAULT_MAX_UPLOAD_BYTES = 200 * 1024 * 1024
GRANULARITIES = frozenset({0, 4, 6, 8})
OLDEST_TAKEN_YEAR = 1000
DAY = 86400
THROTTLE_WINDOWS = {"day": DAY, "week": 7 * DAY, "month": 30 * DAY}
"""Seconds a group's per-member photo count lasts, by `throttle mode`."""
TRANSIENT_KINDS = (
    "code 0",
    "code 105",
    "code 106",
    "code 201",
    "HTML 502",
    "HTML 503",
    "HTML 429",
)
"""The transient failures real flickr answers: `stat=fail` with these codes (HTTP 200),
or an HTML error page with that HTTP status (429 without Retry-After)."""
DESCRIPTION_TAGS = frozenset(
    {
        "a",
        "b",
        "i",
        "em",
        "strong",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "blockquote",
        "q",
        "code",
        "pre",
        "tt",
        "abbr",
        "acronym",
        "cite",
        "sup",
        "sub",
        "br",
    }
)
"""Elements a description keeps; flickr documents "some limited HTML" without a list."""
PHOTO_EXTENSIONS = frozenset({"jpg", "jpeg", "jpe", "png", "gif", "tif", "tiff", "heic", "heif"})
PHOTO_TYPES = frozenset({"jpg", "png", "gif", "tiff", "heic"})

MACHINE_TAG = re.compile(r"^([a-zA-Z][a-zA-Z0-9_]*):([a-zA-Z][a-zA-Z0-9_]*)=(.*)$", re.DOTALL)
TAKEN_FORMATS = (
    ("%Y-%m-%d %H:%M:%S", 19),
    ("%Y-%m-%d %H:%M", 16),
    ("%Y-%m-%d %H", 13),
    ("%Y-%m-%d", 10),
    ("%Y-%m", 7),
    ("%Y", 4),
)


@dataclass
class FlickrSettings:
    """Switches of the simulator; change them at any time from a test."""

    rate_limit_per_hour: int | None = 3600
    """Calls per API key in any rolling hour (B17); None disables the limit."""
    search_index_lag: int = 0
    """Number of search calls an upload stays invisible to flickr.photos.search."""
    max_title_length: int | None = None
    """Longer titles are cut to this length (flickr documents no maximum)."""
    max_tags: int = 75
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES
    max_photos_per_set: int | None = None
    max_photosets: int | None = None
    max_pools_per_photo: int = 60
    free_account_photo_limit: int = 1000
    """Photos a free account may hold (upload error 6 beyond it)."""
    free_account_non_public_limit: int = 50
    """Private and friends/family photos a free account may hold (upload error 6)."""
    transient_rate: float = 0.0
    """Share of REST, upload and replace calls answered with a transient failure."""
    transient_kinds: tuple[str, ...] = TRANSIENT_KINDS
    """Which transient failures to pick from (at random), see TRANSIENT_KINDS."""
    transient_seed: int = 0
    description_tags: frozenset[str] = DESCRIPTION_TAGS
    check_token_echoes_token: bool = False
    """flickr echoes the token in checkToken's <token>; off by default (never echo secrets)."""


def perm_allows(granted: str | None, needed: str) -> bool:
    """True when an access level `granted` implies `needed` (read < write < delete)."""
    if granted is None:
        return False
    return PERM_LEVELS.index(granted) >= PERM_LEVELS.index(needed)


@dataclass
class User:
    nsid: str
    username: str
    fullname: str
    is_pro: bool = True
    joined: float = 0.0
    path_alias: str = ""
    """The custom name in the user's photo URLs (www.flickr.com/photos/<alias>/); "" if none."""


@dataclass
class Consumer:
    key: str
    secret: str


@dataclass
class RequestToken:
    token: str
    secret: str
    consumer_key: str
    callback: str
    perms: str | None = None
    verifier: str | None = None
    user_nsid: str | None = None


@dataclass
class AccessToken:
    token: str
    secret: str
    consumer_key: str
    user_nsid: str
    perms: str


@dataclass
class Tag:
    id: str
    author: str
    raw: str
    normalized: str
    is_machine: bool


@dataclass
class Photo:
    id: str
    owner: str
    title: str
    description: str
    secret: str
    original_secret: str
    original_format: str
    media_type: str
    size: int
    sha256: str
    date_posted: int
    date_taken: str
    date_taken_granularity: int = 0
    date_taken_unknown: bool = False
    last_update: int = 0
    is_public: bool = True
    is_friend: bool = False
    is_family: bool = False
    safety_level: int = 1
    content_type: int = 1
    hidden: bool = False
    """Hidden from public searches (upload hidden=2, setSafetyLevel hidden=1)."""
    perm_comment: int = 3
    perm_addmeta: int = 2
    replace_count: int = 0
    tags: list[Tag] = field(default_factory=list)
    searchable_after: int = 0
    """Value of the state's search counter after which search finds this photo."""

    @property
    def machine_tags(self) -> list[str]:
        return [t.normalized for t in self.tags if t.is_machine]

    @property
    def raw_tags(self) -> list[str]:
        return [t.raw for t in self.tags]


@dataclass
class Photoset:
    id: str
    owner: str
    title: str
    description: str
    primary: str
    photo_ids: list[str] = field(default_factory=list)
    date_create: int = 0
    date_update: int = 0


@dataclass
class Group:
    """A group pool; the knobs choose how `flickr.groups.pools.add` behaves."""

    id: str
    name: str
    moderated: bool = False
    """Adds go to the pending queue (answer code 6, then 7 on a repeat)."""
    throttle_limit: int | None = None
    """Photos each member may add per throttle window; None = unlimited (code 5 when used)."""
    throttle_mode: str = "month"
    """`day`, `week` or `month`: how long a member's count lasts from its first add."""
    content_allowed: bool = True
    """False answers every add with code 8 "Content not allowed"."""
    pool_disabled: bool = False
    max_pool_size: int | None = None
    members: set[str] | None = None
    """NSIDs allowed to post; None = everybody."""
    admins: set[str] = field(default_factory=set)
    pool: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    windows: dict[str, tuple[float, int]] = field(default_factory=dict)
    """Member NSID -> (start of the member's throttle window, adds in it)."""

    def is_member(self, nsid: str) -> bool:
        return self.members is None or nsid in self.members or nsid in self.admins

    def _window(self, nsid: str, now: float) -> tuple[float, int]:
        start, adds = self.windows.get(nsid, (now, 0))
        if now >= start + THROTTLE_WINDOWS.get(self.throttle_mode, DAY):
            return now, 0
        return start, adds

    def throttle_remaining(self, nsid: str, now: float) -> int | None:
        """Adds left in the member's window; None when the group has no throttle."""
        if self.throttle_limit is None:
            return None
        return max(0, self.throttle_limit - self._window(nsid, now)[1])

    def count_add(self, nsid: str, now: float) -> None:
        start, adds = self._window(nsid, now)
        self.windows[nsid] = (start, adds + 1)


@dataclass
class FlickrState:
    """Everything the simulator knows; tests may read and change it directly."""

    users: dict[str, User] = field(default_factory=dict)
    consumers: dict[str, Consumer] = field(default_factory=dict)
    request_tokens: dict[str, RequestToken] = field(default_factory=dict)
    access_tokens: dict[str, AccessToken] = field(default_factory=dict)
    photos: dict[str, Photo] = field(default_factory=dict)
    photosets: dict[str, Photoset] = field(default_factory=dict)
    photoset_order: dict[str, list[str]] = field(default_factory=dict)
    """Per user NSID, photoset ids in the user's order (newest first)."""
    groups: dict[str, Group] = field(default_factory=dict)
    upload_tickets: dict[str, str] = field(default_factory=dict)
    search_calls: int = 0
    _next_number: int = 0

    def next_number(self) -> int:
        self._next_number += 1
        return self._next_number

    def new_photo_id(self) -> str:
        return str(53_000_000_000 + self.next_number())

    def new_photoset_id(self) -> str:
        return str(72_157_700_000_000_000 + self.next_number())

    def new_nsid(self, suffix: str = "N00") -> str:
        return f"{10_000_000 + self.next_number()}@{suffix}"

    def user_by_nsid(self, nsid: str) -> User | None:
        return self.users.get(nsid)

    def photos_of(self, nsid: str) -> list[Photo]:
        return [p for p in self.photos.values() if p.owner == nsid]

    def sets_containing(self, photo_id: str) -> list[Photoset]:
        return [s for s in self.photosets.values() if photo_id in s.photo_ids]

    def pools_containing(self, photo_id: str) -> list[Group]:
        return [g for g in self.groups.values() if photo_id in g.pool]


def new_secret(nbytes: int = 5) -> str:
    return secrets.token_hex(nbytes)


# --- tags ---------------------------------------------------------------------------


def split_tag_string(text: str) -> list[str]:
    """Split flickr's tag syntax: spaces separate tags, double quotes group words.

    `a "long tag" ns:pred="two words"` -> ["a", "long tag", "ns:pred=two words"].
    """
    tags: list[str] = []
    current: list[str] = []
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char.isspace() and not quoted:
            if current:
                tags.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        tags.append("".join(current))
    return tags


def clean_tag_text(text: str) -> str:
    """flickr's "clean" form: lower case, only letters and digits."""
    return "".join(c for c in text.lower() if c.isalnum())


def normalize_tag(raw: str) -> tuple[str, bool]:
    """(normalised form, is machine tag). Machine tags keep `namespace:predicate=`."""
    match = MACHINE_TAG.match(raw)
    if match:
        namespace, predicate, value = match.groups()
        return f"{namespace.lower()}:{predicate.lower()}={clean_tag_text(value)}", True
    return clean_tag_text(raw), False


def build_tags(
    raw_tags: list[str], owner: str, photo_id: str, numbers: Callable[[], int]
) -> list[Tag]:
    """Tag records for `raw_tags`, dropping empties and repeats of a normalised form."""
    tags: list[Tag] = []
    seen: set[str] = set()
    owner_number = owner.split("@", 1)[0]
    for raw in raw_tags:
        normalized, is_machine = normalize_tag(raw)
        if not normalized or normalized in seen:
            continue
        seen.add(normalized)
        tag_id = f"{owner_number}-{photo_id}-{numbers()}"
        tags.append(Tag(tag_id, owner, raw, normalized, is_machine))
    return tags


# --- dates --------------------------------------------------------------------------


def parse_date_taken(text: str) -> datetime | None:
    """Parse a MySQL datetime that may be truncated (`2004-04` -> 2004-04-01 00:00:00)."""
    text = text.strip()
    for fmt, length in TAKEN_FORMATS:
        if len(text) == length:
            try:
                return datetime.strptime(text, fmt)
            except ValueError:
                return None
    return None


def format_date_taken(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def at_granularity(moment: datetime, granularity: int) -> datetime:
    """The date taken as flickr keeps it: a month (4) keeps year and month, a year (6) and
    circa (8) keep the year; the rest becomes the first moment of that period."""
    if granularity == 4:
        return datetime(moment.year, moment.month, 1)
    if granularity in (6, 8):
        return datetime(moment.year, 1, 1)
    return moment


# --- descriptions -------------------------------------------------------------------

_MARKUP = re.compile(r"<!--.*?-->|</?([A-Za-z][A-Za-z0-9]*)\b[^<>]*>", re.DOTALL)


def kept_description(text: str, allowed: frozenset[str] = DESCRIPTION_TAGS) -> str:
    """A description as flickr stores and answers it: allowed elements kept as written,
    other markup removed (its text kept), and the text HTML-escaped (`&amp;`, `&lt;`,
    `&quot;`), entities already in the text left as they are."""
    parts: list[str] = []
    position = 0
    for match in _MARKUP.finditer(text):
        parts.append(_escaped(text[position : match.start()]))
        if (match.group(1) or "").lower() in allowed:
            parts.append(match.group(0))
        position = match.end()
    parts.append(_escaped(text[position:]))
    return "".join(parts)


def _escaped(text: str) -> str:
    return html.escape(html.unescape(text), quote=True).replace("&#x27;", "'")


def exif_date_taken(data: bytes) -> datetime | None:
    """DateTimeOriginal (or DateTime) from the image's EXIF, as flickr reads it."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            exif = image.getexif()
            original = exif.get_ifd(0x8769).get(36867) or exif.get(306)
    except Exception:
        return None
    if not isinstance(original, str):
        return None
    try:
        return datetime.strptime(original.strip(), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None


# --- uploaded files -----------------------------------------------------------------


def photo_type(filename: str, data: bytes) -> tuple[str, str] | None:
    """(original format, media type) flickr accepts the upload as, or None (error 5).

    flickr decides by the file name's extension when there is one (WebP and unknown
    extensions are refused even when the content is a JPEG); a name without one (as
    flickrapi 2.4 sends: "dummy name") leaves it to the content. WebP is never accepted.
    """
    sniffed = sniff_image_format(data)
    _, dot, extension = filename.rpartition(".")
    if dot and extension.lower() not in PHOTO_EXTENSIONS:
        return None
    if sniffed is None or sniffed[0] not in PHOTO_TYPES:
        return None
    return sniffed


def sniff_image_format(data: bytes) -> tuple[str, str] | None:
    """(original format, media type) from the magic bytes; None if not an image."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg", "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png", "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif", "image/gif"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "tiff", "image/tiff"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", "image/webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1"):
        return "heic", "image/heic"
    return None
