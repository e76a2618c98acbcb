"""The flickr platform: upload, update, delete and crash recovery through flickrapi 2.4.0.

Every upload carries our machine tag `imatchsocials:intent=<marker>` in its own tags, so an
upload whose answer was lost can be found again with `flickr.photos.search` and adopted
(reference/platform-apis.md D1). After the upload answers, the photo id goes to the
engine's checkpoint before anything else. A refusal of a follow-up call (date taken,
albums, groups) is a warning; a transient failure is raised, and the engine's retry
resumes from the checkpointed photo id, so a photo is never uploaded twice. Updates read
the photo first and call only the setters whose value differs from what flickr keeps;
album and group memberships are removed only for albums and groups IMatch manages (those
with a category), so what the user curates on flickr by hand stays.

What real flickr does that is handled here: group adds that a moderated pool queues or a
group's throttle defers are reported as pending (`Outcome.pending`), and a throttled group
is not asked again in this session until it is worth a call; a free account's upload
limit (1,000 photos, 50 of them non-public) stops uploads with `AccountLimited`, and its
photos' images cannot be replaced (the text is updated, with a warning); WebP is refused
by name before any upload.
"""

from __future__ import annotations

import asyncio
import functools
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sync.error_names import INVALID_FORMAT, POSTED_BY_ANOTHER_ACCOUNT, UPLOAD_REJECTED
from sync.platforms.base import (
    Account,
    AccountLimited,
    AuthError,
    Checkpoint,
    Limits,
    MediaFile,
    Outcome,
    PendingMembership,
    PermanentError,
    Platform,
    RateLimiter,
    RemoteRef,
    Tally,
    _no_checkpoint,
)
from sync.platforms.flickr.api import (
    DEFAULT_TIMEOUT,
    NEEDS_DELETE,
    FlickrClient,
    FlickrCodeError,
    FlickrEndpoints,
    FlickrToken,
)
from sync.platforms.flickr.errors import PHOTO_NOT_FOUND, UPDATE_REJECTED
from sync.platforms.flickr.kept import comparable_text, taken_as_kept
from sync.platforms.flickr.limits import REFUSED_FORMATS, account_limits
from sync.platforms.flickr.login import FlickrLogin, load_token, save_token
from sync.published import Published, text_fields_differ

__all__ = [
    "FlickrEndpoints",
    "FlickrLogin",
    "FlickrPlatform",
    "FlickrPost",
    "FlickrToken",
    "load_token",
    "marker_tag",
    "save_token",
]

MACHINE_TAG_NAMESPACE = "imatchsocials"
SEARCH_PER_PAGE = 500
SEARCH_MAX_PAGES = 8  # flickr returns at most 4000 search results
RECENT_UPLOADS_CHECKED = 100
THROTTLE_RETRY_SECONDS = 3600.0
"""flickr does not say when a group's throttle window ends; one call an hour per group
finds out, and the group's count may have been reset long before its mode's window."""
AWAITING_MODERATION = "awaiting the group's moderators"
FREE_ACCOUNT_LIMIT = (
    "flickr refused the upload: the account's upload limit is reached (error {code}: "
    "{message}). A free flickr account holds at most 1,000 photos, and at most 50 of them "
    "private or for friends and family. No more photos are uploaded to flickr in this run; "
    "publish them as public (IMatch variable flickr_is_public = 1) or upgrade to flickr Pro"
)
IMAGE_NOT_REPLACED = (
    "image not replaced: replacing a photo's image needs a flickr Pro account, so only the "
    "title, description, tags, date and privacy were updated. To publish the new image, "
    "flag the photo _delete, then add it again"
)
_MARKER = re.compile(r"^[a-z0-9]+$")
_PHOTO_URL = re.compile(r"^(?:https?://)?(?:[a-z0-9-]+\.)*flickr\.com/photos/([^/?#\s]+)/", re.I)


@dataclass(frozen=True, slots=True)
class FlickrPost:
    """Exactly what is sent to flickr for one photo (rendering builds it)."""

    file: MediaFile
    title: str
    description: str
    tags: tuple[str, ...]
    """Plain keywords (may contain spaces), without our machine tag."""
    date_taken: datetime | None
    date_granularity: int
    """0 exact, 8 circa."""
    is_public: bool
    is_friend: bool
    is_family: bool
    albums: tuple[str, ...]
    """Photoset ids."""
    groups: tuple[str, ...]
    """Group NSIDs."""
    managed_albums: frozenset[str] = frozenset()
    """Every album IMatch has a category for: only these memberships are ever removed."""
    managed_groups: frozenset[str] = frozenset()
    """Every group IMatch has a category for: only these memberships are ever removed."""

    def published_fields(self) -> dict[str, str]:
        """What flickr shows of the post, field by field (sync/published.py)."""
        date = ""
        if self.date_taken is not None:
            date = format_taken(self.date_taken)
            date += " (circa)" if self.date_granularity else ""
        return {
            "title": self.title,
            "description": self.description,
            "tags": ", ".join(unique_tags(self.tags)),
            "date": date,
            "privacy": privacy_text(self.is_public, self.is_friend, self.is_family),
            "albums": ", ".join(self.albums),
            "groups": ", ".join(self.groups),
        }

    def owned(self) -> dict[str, tuple[str, ...]]:
        """The tags, albums and groups we set (a three-way merge removes only these)."""
        return {
            "tags": tuple(unique_tags(self.tags)),
            "albums": self.albums,
            "groups": self.groups,
        }


def privacy_text(is_public: bool, is_friend: bool, is_family: bool) -> str:
    """`public`, `friends and family`, `friends`, `family` or `private`."""
    if is_public:
        return "public"
    who = [name for name, on in (("friends", is_friend), ("family", is_family)) if on]
    return " and ".join(who) or "private"


# --- tags and values ----------------------------------------------------------------


def marker_tag(marker: str) -> str:
    """Our machine tag for an intent id (lower-case a-z0-9, so flickr keeps it verbatim)."""
    if not _MARKER.match(marker):
        raise ValueError("a marker must be lower-case letters and digits")
    return f"{MACHINE_TAG_NAMESPACE}:intent={marker}"


def is_our_machine_tag(normalized: str) -> bool:
    return normalized.lower().startswith(f"{MACHINE_TAG_NAMESPACE}:")


@functools.lru_cache(maxsize=1 << 16)
def clean_tag(tag: str) -> str:
    """flickr's normalised form: lower case, letters and digits only (cached: the same
    keywords come back on thousands of photos)."""
    return "".join(c for c in tag.lower() if c.isalnum())


def unique_tags(tags: Iterable[str]) -> list[str]:
    """Tags without quotes and blanks, first of each normalised form (flickr keeps one)."""
    kept: list[str] = []
    seen: set[str] = set()
    for tag in tags:
        text = " ".join(tag.replace('"', " ").split())
        key = clean_tag(text)
        if key and key not in seen:
            seen.add(key)
            kept.append(text)
    return kept


def tag_string(tags: Iterable[str]) -> str:
    """flickr's tag syntax: space separated, multi-word tags in double quotes."""
    return " ".join(f'"{t}"' if " " in t else t for t in tags)


def format_taken(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def flag(value: bool) -> int:
    return 1 if value else 0


def content(value: Any) -> str:
    """flickr JSON puts element text in `_content`; attributes are plain values."""
    if isinstance(value, dict):
        value = value.get("_content", "")
    return "" if value is None else str(value)


def as_list(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, dict)]


def as_int(value: Any, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        return default


def page_url_of(info: dict[str, Any]) -> str:
    """The photo page flickr lists in getInfo (it may use the owner's path alias)."""
    for url in as_list(info.get("urls", {}).get("url")):
        if url.get("type") == "photopage":
            return content(url)
    return ""


def owner_in_url(url: str) -> str | None:
    """The owner in a flickr photo URL (`.../photos/<NSID or path alias>/<id>/`), or None."""
    match = _PHOTO_URL.match(url.strip())
    return match.group(1) if match else None


def upload_error(error: FlickrCodeError) -> PermanentError:
    return PermanentError(UPLOAD_REJECTED, f"error {error.code}: {error.message}")


def throttle_text(group: Mapping[str, Any]) -> str:
    """`throttled (the group takes 3 photos a day from each member)` from groups.getInfo."""
    throttle = group.get("throttle", {}) if isinstance(group, Mapping) else {}
    count, mode = as_int(throttle.get("count"), -1), str(throttle.get("mode", ""))
    if count < 0 or mode not in ("day", "week", "month"):
        return "throttled (the group's limit of photos per member is reached)"
    photos = "photo" if count == 1 else "photos"
    return f"throttled (the group takes {count} {photos} a {mode} from each member)"


# --- the platform -------------------------------------------------------------------


class FlickrPlatform(Platform[FlickrPost]):
    """One flickr account, logged in with an OAuth token that has delete permission."""

    name = "flickr"
    record_keys = ("photo_id",)
    own_limits = ("flickr allows 3,600 calls an hour per API key",)

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        token: FlickrToken,
        endpoints: FlickrEndpoints | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        limiter: RateLimiter | None = None,
        formats: frozenset[str] = frozenset({"JPEG"}),
        photostream_url: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = token
        self.formats = formats
        self.photostream_url = photostream_url.strip().rstrip("/")
        self.client = FlickrClient(api_key, api_secret, token, endpoints, timeout, limiter)
        self._limits: Limits | None = None
        self._path_aliases: set[str] | None = None
        """The logged-in account's path alias as photo URLs show it (read when needed)."""
        self._clock = clock
        self._uploads_refused = ""
        """Set when the account refused an upload for good (free account): the message."""
        self._upload_turn = asyncio.Lock()
        """Uploads go one at a time anyway (one worker thread); taking turns here means an
        upload queued behind a refused one is not sent to be refused too."""
        self._is_pro: bool | None = None
        self._throttled: dict[str, tuple[float, str]] = {}
        """Group id -> (clock time until which it is not asked again, the reason)."""

    @property
    def limiter(self) -> RateLimiter:
        return self.client.limiter

    async def _call(
        self, tally: Tally, method: str, *, write: bool = False, **params: Any
    ) -> dict[str, Any]:
        tally.calls += 1
        return await self.client.call(method, write=write, **params)

    def photo_page(self, photo_id: str) -> str:
        """The `url` recorded in IMatch: the original's `flickr_url` + `/<id>` when set."""
        if self.photostream_url:
            return f"{self.photostream_url}/{photo_id}"
        return f"https://www.flickr.com/photos/{self.token.user_nsid}/{photo_id}/"

    # --- login and limits ---------------------------------------------------------

    async def connect(self) -> Account:
        tally = Tally()
        user = (await self._call(tally, "flickr.test.login")).get("user", {})
        nsid = str(user.get("id") or self.token.user_nsid)
        name = content(user.get("username")) or self.token.username
        if await self._granted_perms(tally) != "delete":
            raise AuthError(NEEDS_DELETE)
        self._limits = await self._read_limits(tally)
        return Account(nsid, name, f"https://www.flickr.com/photos/{nsid}/")

    async def _granted_perms(self, tally: Tally) -> str:
        """The level flickr says the token has (not token_valid: it deletes tokens, A4)."""
        try:
            answer = await self._call(tally, "flickr.auth.oauth.checkToken")
        except FlickrCodeError:
            return self.token.perms
        return content(answer.get("oauth", {}).get("perms")) or self.token.perms

    async def limits(self) -> Limits:
        if self._limits is None:
            self._limits = await self._read_limits(Tally())
        return self._limits

    async def _read_limits(self, tally: Tally) -> Limits:
        max_bytes: int | None = None
        try:
            person = (await self._call(tally, "flickr.people.getLimits")).get("person", {})
            max_bytes = as_int(person.get("photos", {}).get("maxupload"), 0)
        except FlickrCodeError:
            pass
        return account_limits(max_bytes, self.formats)

    # --- add ----------------------------------------------------------------------

    async def add(
        self,
        post: FlickrPost,
        marker: str,
        checkpoint: Checkpoint = _no_checkpoint,
        resume: Mapping[str, str] | None = None,
    ) -> Outcome:
        tally = Tally()
        machine_tag = marker_tag(marker)
        photo_id = (resume or {}).get("photo_id", "")
        if photo_id and not await self._exists(tally, photo_id):
            photo_id = ""
        if not photo_id:
            photo_id = await self._upload(tally, post, machine_tag)
            await checkpoint({"photo_id": photo_id})
        await self._after_upload(tally, photo_id, post)
        return tally.outcome(RemoteRef({"photo_id": photo_id}, self.photo_page(photo_id)))

    async def _upload(self, tally: Tally, post: FlickrPost, machine_tag: str) -> str:
        if post.file.format.upper() in REFUSED_FORMATS or post.file.path.suffix.lower() == ".webp":
            raise PermanentError(
                INVALID_FORMAT,
                "flickr does not take WebP images (it answers 'Filetype was not "
                "recognised'); publish a JPEG version instead",
            )
        async with self._upload_turn:
            return await self._upload_file(tally, post, machine_tag)

    async def _upload_file(self, tally: Tally, post: FlickrPost, machine_tag: str) -> str:
        if self._uploads_refused:
            raise AccountLimited(self._uploads_refused)
        # The machine tag goes first: flickr silently drops tags beyond its limit.
        fields = {
            "title": post.title,
            "description": post.description,
            "tags": tag_string([machine_tag, *unique_tags(post.tags)]),
            "is_public": str(flag(post.is_public)),
            "is_friend": str(flag(post.is_friend)),
            "is_family": str(flag(post.is_family)),
        }
        tally.calls += 1
        try:
            return await self.client.upload(post.file.path, fields)
        except FlickrCodeError as error:
            if error.code in (6, 7):  # "User exceeded upload limit": the account, not the photo
                self._uploads_refused = FREE_ACCOUNT_LIMIT.format(
                    code=error.code, message=error.message
                )
                raise AccountLimited(self._uploads_refused) from None
            raise upload_error(error) from None

    async def _after_upload(self, tally: Tally, photo_id: str, post: FlickrPost) -> None:
        """Date, albums, groups. The photo exists now: a refusal is a warning. A transient
        failure is raised: the engine tries again, resuming from the photo id."""
        if post.date_taken is not None:
            try:
                await self._set_dates(tally, photo_id, post)
            except PermanentError as error:
                tally.refused("date", f"date taken not set: {error}")
        for album in post.albums:
            try:
                await self._add_to_album(tally, photo_id, album)
            except PermanentError as error:
                tally.refused("albums", f"album {album}: not added: {error}")
        for group in post.groups:
            try:
                await self._add_to_group(tally, photo_id, group)
            except PermanentError as error:
                tally.refused_group(group, f"group {group}: not added: {error}")

    async def _set_dates(self, tally: Tally, photo_id: str, post: FlickrPost) -> None:
        assert post.date_taken is not None
        await self._call(
            tally,
            "flickr.photos.setDates",
            write=True,
            photo_id=photo_id,
            date_taken=format_taken(post.date_taken),
            date_taken_granularity=post.date_granularity,
        )

    async def _add_to_album(self, tally: Tally, photo_id: str, album: str) -> None:
        try:
            await self._call(
                tally, "flickr.photosets.addPhoto", write=True, photoset_id=album, photo_id=photo_id
            )
        except FlickrCodeError as error:
            if error.code == 3:  # already in set
                return
            reason = {1: "album not found"}.get(error.code, error.message)
            tally.refused("albums", f"album {album}: {reason} (error {error.code})")

    async def _add_to_group(self, tally: Tally, photo_id: str, group: str) -> None:
        """One group add, with flickr's answers sorted (DESIGN section 4): in the pool
        already = done; queued in a moderated pool = done, pending; throttled = pending,
        worth trying again later; anything else = a warning."""
        until, reason = self._throttled.get(group, (0.0, ""))
        if self._clock() < until:
            tally.pending.append(PendingMembership(group, reason, until - self._clock()))
            return
        try:
            await self._call(
                tally, "flickr.groups.pools.add", write=True, group_id=group, photo_id=photo_id
            )
        except FlickrCodeError as error:
            if error.code == 3:  # already in pool
                return
            if error.code in (6, 7):  # added to / already in the pending queue
                tally.pending.append(PendingMembership(group, AWAITING_MODERATION))
                return
            if error.code == 5:  # "Photo limit reached": the group's throttle
                reason = await self._throttle_reason(tally, group)
                self._throttled[group] = (self._clock() + THROTTLE_RETRY_SECONDS, reason)
                tally.pending.append(PendingMembership(group, reason, THROTTLE_RETRY_SECONDS))
                return
            reason = {
                2: "group not found, or not a member",
                4: "the photo is in the maximum number of groups",
                8: "content not allowed",
                10: "the group's pool is full",
                11: "the group's pool is disabled",
            }.get(error.code, error.message)
            tally.refused_group(group, f"group {group}: {reason} (error {error.code})")

    async def _throttle_reason(self, tally: Tally, group: str) -> str:
        """What the group's throttle allows, from flickr.groups.getInfo (best effort)."""
        try:
            answer = await self._call(tally, "flickr.groups.getInfo", group_id=group)
        except PermanentError:
            answer = {}
        return throttle_text(answer.get("group", {}))

    async def add_to_groups(self, ref: RemoteRef, groups: tuple[str, ...]) -> Outcome:
        """Add a published photo to groups an earlier run left pending."""
        photo_id = str(ref.ids.get("photo_id", "")).strip()
        tally = Tally()
        for group in groups:
            try:
                await self._add_to_group(tally, photo_id, group)
            except FlickrCodeError as error:
                if error.code == 1:
                    raise PermanentError(PHOTO_NOT_FOUND) from None
                tally.refused_group(group, f"group {group}: not added: {error.message}")
        return tally.outcome(ref)

    async def _exists(self, tally: Tally, photo_id: str) -> bool:
        try:
            await self._call(tally, "flickr.photos.getInfo", photo_id=photo_id)
        except FlickrCodeError as error:
            if error.code == 1:
                return False
            raise
        return True

    # --- update -------------------------------------------------------------------

    async def update(
        self,
        ref: RemoteRef,
        post: FlickrPost,
        replace_image: bool,
        previous: Published | None = None,
    ) -> Outcome:
        """With `previous` (what we last published) and something that differs from it,
        only the setters of the fields that differ are called, without reading the photo
        first (a new title is one `setMeta`); tags, albums and groups are merged three
        ways: we remove only what we set and IMatch no longer names, and keep what the
        user added on flickr. Without it (or to repair a photo nothing differs from) the
        photo is read and every field compared with what flickr keeps."""
        photo_id = str(ref.ids.get("photo_id", "")).strip()
        if not photo_id:
            raise PermanentError(PHOTO_NOT_FOUND, "no photo id recorded")
        differ = text_fields_differ(previous, post) if previous is not None else set()
        # A field flickr refused part of has a blank digest: what we meant to set there is
        # not what flickr has, so that update reads the photo (as without a store).
        if previous is not None and differ and all(previous.digests.get(f) for f in differ):
            return await self._update_from_store(ref, photo_id, post, replace_image, previous)
        tally = Tally()
        try:
            answer = await self._call(tally, "flickr.photos.getInfo", photo_id=photo_id)
        except FlickrCodeError as error:
            if error.code == 1:
                raise PermanentError(PHOTO_NOT_FOUND) from None
            raise
        info = answer.get("photo", {})
        contexts = await self._call(tally, "flickr.photos.getAllContexts", photo_id=photo_id)

        await self._update_fields(tally, photo_id, info, post, previous)
        if replace_image:
            await self._replace(tally, photo_id, post)
        # Removed: IMatch manages the album (has a category for it) and, when we know what
        # we set, we set it (a membership the user made by hand stays).
        albums = post.managed_albums
        groups = post.managed_groups
        if previous is not None:
            albums = albums & set(previous.owns("albums"))
            groups = groups & set(previous.owns("groups"))
        await self._update_albums(tally, photo_id, contexts, post.albums, frozenset(albums))
        await self._update_groups(tally, photo_id, contexts, post.groups, frozenset(groups))
        url = page_url_of(info)
        return tally.outcome(
            RemoteRef({"photo_id": photo_id}, url or ref.url or self.photo_page(photo_id))
        )

    async def _replace(self, tally: Tally, photo_id: str, post: FlickrPost) -> None:
        """Replace the image; a free account cannot (replace is for Pro accounts only)."""
        if await self._account_is_pro(tally) is False:
            tally.warnings.append(IMAGE_NOT_REPLACED)
            tally.kept_image = True
            return
        tally.calls += 1
        try:
            await self.client.replace(post.file.path, photo_id)
        except FlickrCodeError as error:
            if error.code == 1:  # "Not a pro account"
                self._is_pro = False
                tally.warnings.append(IMAGE_NOT_REPLACED)
                tally.kept_image = True
                return
            raise upload_error(error) from None

    async def _account_is_pro(self, tally: Tally) -> bool | None:
        """Whether the account is Pro (flickr.people.getInfo, asked once); None if unknown."""
        if self._is_pro is None:
            try:
                answer = await self._call(
                    tally, "flickr.people.getInfo", user_id=self.token.user_nsid
                )
            except PermanentError:
                return None
            person = answer.get("person", {})
            if "ispro" in person:
                self._is_pro = as_int(person.get("ispro")) == 1
        return self._is_pro

    async def _update_from_store(
        self,
        ref: RemoteRef,
        photo_id: str,
        post: FlickrPost,
        replace_image: bool,
        previous: Published,
    ) -> Outcome:
        """The fields that differ from what we published, each with its own setter."""
        tally = Tally()
        differ = text_fields_differ(previous, post)
        if differ & {"title", "description"}:
            # setMeta sets both (flickr requires both): one call for either.
            await self._set(
                tally,
                "flickr.photos.setMeta",
                photo_id=photo_id,
                title=post.title,
                description=post.description,
            )
        if "date" in differ and post.date_taken is not None:
            await self._set_date_of(tally, photo_id, post)
        if "tags" in differ:
            await self._merge_tags(tally, photo_id, post, previous)
        if "privacy" in differ:
            await self._set_perms(tally, photo_id, post)
        if replace_image:
            await self._replace(tally, photo_id, post)
        # What we set before stands in for what flickr has: ours no longer named are
        # removed, new ones added; the user's own memberships are not touched.
        if "albums" in differ:
            had = previous.owns("albums")
            await self._update_albums(
                tally, photo_id, {"set": [{"id": a} for a in had]}, post.albums, frozenset(had)
            )
        if "groups" in differ:
            had = previous.owns("groups")
            await self._update_groups(
                tally, photo_id, {"pool": [{"id": g} for g in had]}, post.groups, frozenset(had)
            )
        return tally.outcome(
            RemoteRef({"photo_id": photo_id}, ref.url or self.photo_page(photo_id))
        )

    async def _merge_tags(
        self, tally: Tally, photo_id: str, post: FlickrPost, previous: Published
    ) -> None:
        """Tags, three ways. Only new tags: one `addTags`. Tags to remove: the photo's tags
        are read, ours that IMatch no longer names are dropped, the rest (the user's own
        tags, our machine tag) kept, and the result set in one `setTags`."""
        wanted = unique_tags(post.tags)
        had = {clean_tag(t) for t in previous.owns("tags")}
        keep = {clean_tag(t) for t in wanted}
        dropped = had - keep
        added = [t for t in wanted if clean_tag(t) not in had]
        if not dropped:
            if added:
                await self._set(
                    tally, "flickr.photos.addTags", photo_id=photo_id, tags=tag_string(added)
                )
            return
        info = await self._info(tally, photo_id)
        present = [str(t.get("raw", "")) for t in as_list(info.get("tags", {}).get("tag"))]
        kept = [t for t in present if clean_tag(t) not in dropped or is_our_machine_tag(t)]
        merged = unique_tags([*kept, *wanted])
        await self._set(tally, "flickr.photos.setTags", photo_id=photo_id, tags=tag_string(merged))

    async def _info(self, tally: Tally, photo_id: str) -> dict[str, Any]:
        try:
            answer = await self._call(tally, "flickr.photos.getInfo", photo_id=photo_id)
        except FlickrCodeError as error:
            if error.code == 1:
                raise PermanentError(PHOTO_NOT_FOUND) from None
            raise
        info: dict[str, Any] = answer.get("photo", {})
        return info

    async def _set_date_of(self, tally: Tally, photo_id: str, post: FlickrPost) -> None:
        assert post.date_taken is not None
        try:
            await self._set(
                tally,
                "flickr.photos.setDates",
                photo_id=photo_id,
                date_taken=format_taken(post.date_taken),
                date_taken_granularity=post.date_granularity,
            )
        except PermanentError as error:
            if error.error_name == PHOTO_NOT_FOUND:
                raise
            # A date flickr refuses (e.g. in the future) must not block the rest.
            tally.refused("date", f"date taken not set: {error.detail or error}")

    async def _set_perms(self, tally: Tally, photo_id: str, post: FlickrPost) -> None:
        await self._set(
            tally,
            "flickr.photos.setPerms",
            photo_id=photo_id,
            is_public=flag(post.is_public),
            is_friend=flag(post.is_friend),
            is_family=flag(post.is_family),
        )

    async def _update_fields(
        self,
        tally: Tally,
        photo_id: str,
        info: dict[str, Any],
        post: FlickrPost,
        previous: Published | None = None,
    ) -> None:
        # Compared as flickr keeps them: limited HTML, escaped text (see kept).
        title, description = content(info.get("title")), content(info.get("description"))
        if (comparable_text(title), comparable_text(description)) != (
            comparable_text(post.title),
            comparable_text(post.description),
        ):
            await self._set(
                tally,
                "flickr.photos.setMeta",
                photo_id=photo_id,
                title=post.title,
                description=post.description,
            )
        dates = info.get("dates", {})
        if post.date_taken is not None and (
            str(dates.get("taken", "")),
            as_int(dates.get("takengranularity")),
            as_int(dates.get("takenunknown")),
        ) != (
            # A circa date is kept as its year: compare it that way, or it never matches.
            format_taken(taken_as_kept(post.date_taken, post.date_granularity)),
            post.date_granularity,
            0,
        ):
            await self._set_date_of(tally, photo_id, post)
        tags = as_list(info.get("tags", {}).get("tag"))
        ours = [str(t.get("raw", "")) for t in tags if is_our_machine_tag(content(t))]
        theirs = [str(t.get("raw", "")) for t in tags if not is_our_machine_tag(content(t))]
        wanted = unique_tags(post.tags)
        if previous is not None:
            # Three ways: the tags the user added on flickr stay; ours IMatch dropped go.
            keep = {clean_tag(t) for t in wanted}
            dropped = {clean_tag(t) for t in previous.owns("tags")} - keep
            wanted = unique_tags([*wanted, *(t for t in theirs if clean_tag(t) not in dropped)])
        if {clean_tag(t) for t in theirs} != {clean_tag(t) for t in wanted}:
            # setTags replaces every tag: our machine tags must ride along (D1).
            await self._set(
                tally, "flickr.photos.setTags", photo_id=photo_id, tags=tag_string([*ours, *wanted])
            )
        visibility = info.get("visibility", {})
        have = tuple(as_int(visibility.get(k)) for k in ("ispublic", "isfriend", "isfamily"))
        # flickr ignores friend/family on a public photo.
        want = (
            flag(post.is_public),
            flag(post.is_friend and not post.is_public),
            flag(post.is_family and not post.is_public),
        )
        if have != want:
            await self._set(
                tally,
                "flickr.photos.setPerms",
                photo_id=photo_id,
                is_public=want[0],
                is_friend=flag(post.is_friend),
                is_family=flag(post.is_family),
            )

    async def _set(self, tally: Tally, method: str, **params: Any) -> None:
        try:
            await self._call(tally, method, write=True, **params)
        except FlickrCodeError as error:
            if error.code == 1:
                raise PermanentError(PHOTO_NOT_FOUND) from None
            raise PermanentError(UPDATE_REJECTED, error.detail) from None

    async def _update_albums(
        self,
        tally: Tally,
        photo_id: str,
        contexts: dict[str, Any],
        wanted: tuple[str, ...],
        managed: frozenset[str],
    ) -> None:
        have = [str(s.get("id", "")) for s in as_list(contexts.get("set"))]
        for album in have:
            # Albums the user curates on flickr (no IMatch category) are not ours to change.
            if album in wanted or album not in managed:
                continue
            try:
                await self._call(
                    tally,
                    "flickr.photosets.removePhoto",
                    write=True,
                    photoset_id=album,
                    photo_id=photo_id,
                )
            except FlickrCodeError as error:
                # 1 set gone, 2 photo gone, 3 not in set: nothing left to remove.
                if error.code not in (1, 2, 3):
                    tally.refused("albums", f"album {album}: not removed: {error.message}")
        for album in wanted:
            if album not in have:
                await self._add_to_album(tally, photo_id, album)

    async def _update_groups(
        self,
        tally: Tally,
        photo_id: str,
        contexts: dict[str, Any],
        wanted: tuple[str, ...],
        managed: frozenset[str],
    ) -> None:
        have = [str(p.get("id", "")) for p in as_list(contexts.get("pool"))]
        for group in have:
            if group in wanted or group not in managed:
                continue
            try:
                await self._call(
                    tally,
                    "flickr.groups.pools.remove",
                    write=True,
                    group_id=group,
                    photo_id=photo_id,
                )
            except FlickrCodeError as error:
                # 1 group gone, 2 not in pool: nothing left to remove.
                if error.code not in (1, 2):
                    tally.refused("groups", f"group {group}: not removed: {error.message}")
        for group in wanted:
            if group not in have:
                await self._add_to_group(tally, photo_id, group)

    # --- delete and recovery ------------------------------------------------------

    async def delete(self, ref: RemoteRef) -> None:
        """Delete the photo. flickr answers "not found" both for a photo already deleted
        and for another account's photo, so that answer counts as done only when the
        record's url names the logged-in account (its NSID or its path alias)."""
        photo_id = str(ref.ids.get("photo_id", "")).strip()
        if not photo_id:
            raise PermanentError(PHOTO_NOT_FOUND, "the record has no photo id")
        tally = Tally()
        try:
            await self._call(tally, "flickr.photos.delete", write=True, photo_id=photo_id)
            return
        except FlickrCodeError as error:
            if error.code != 1:
                raise
        me = f"{self.token.username} ({self.token.user_nsid})"
        owner = owner_in_url(ref.url)
        if owner is None:
            raise PermanentError(
                PHOTO_NOT_FOUND,
                f"flickr has no photo {photo_id} of {me}, and the record's url does not say "
                "whose it was: nothing was forgotten; if it was deleted, remove the record",
            )
        if not await self._is_logged_in_user(tally, owner):
            raise PermanentError(
                POSTED_BY_ANOTHER_ACCOUNT,
                f"flickr photo {photo_id} was posted by {owner} (the record's url), but you "
                f"are logged in as {me}: log in as {owner} to delete it; nothing was deleted",
            )

    async def _is_logged_in_user(self, tally: Tally, owner: str) -> bool:
        """`owner` (from a photo URL) is the logged-in account's NSID or path alias."""
        if owner.lower() == self.token.user_nsid.lower():
            return True
        if self._path_aliases is None:
            try:
                answer = await self._call(
                    tally, "flickr.people.getInfo", user_id=self.token.user_nsid
                )
            except FlickrCodeError:
                return False
            person = answer.get("person", {})
            # The alias is an attribute, and it is also what the photos URL is made of.
            found = {
                content(person.get("path_alias")),
                owner_in_url(content(person.get("photosurl"))) or "",
            }
            self._path_aliases = {alias.lower() for alias in found if alias}
        return owner.lower() in self._path_aliases

    async def _delete(self, tally: Tally, photo_id: str) -> None:
        try:
            await self._call(tally, "flickr.photos.delete", write=True, photo_id=photo_id)
        except FlickrCodeError as error:
            if error.code != 1:  # 1: already gone
                raise

    async def find_by_marker(
        self, marker: str, known: Mapping[str, str] | None = None
    ) -> RemoteRef | None:
        """The photo carrying our machine tag; duplicates (oldest kept) are deleted."""
        machine_tag = marker_tag(marker)
        tally = Tally()
        found = await self._search(tally, machine_tag)
        if not found:
            # The search index may lag behind an upload (D1): check the newest uploads.
            found = await self._recent_uploads_with(tally, machine_tag)
        known_id = str((known or {}).get("photo_id", "")).strip()
        if not found and known_id and await self._exists(tally, known_id):
            found = {known_id: 0}
        if not found:
            return None
        oldest, *duplicates = sorted(found, key=lambda pid: (found[pid], as_int(pid)))
        for duplicate in duplicates:
            await self._delete(tally, duplicate)
        return RemoteRef({"photo_id": oldest}, self.photo_page(oldest))

    async def _search(self, tally: Tally, machine_tag: str) -> dict[str, int]:
        found: dict[str, int] = {}
        page, pages = 1, 1
        while page <= min(pages, SEARCH_MAX_PAGES):
            photos = (
                await self._call(
                    tally,
                    "flickr.photos.search",
                    user_id="me",
                    machine_tags=machine_tag,
                    extras="machine_tags,date_upload",
                    per_page=SEARCH_PER_PAGE,
                    page=page,
                )
            ).get("photos", {})
            found.update(self._carrying(photos, machine_tag))
            pages = as_int(photos.get("pages"), 1)
            page += 1
        return found

    async def _recent_uploads_with(self, tally: Tally, machine_tag: str) -> dict[str, int]:
        photos = (
            await self._call(
                tally,
                "flickr.people.getPhotos",
                user_id="me",
                extras="machine_tags,date_upload",
                per_page=RECENT_UPLOADS_CHECKED,
            )
        ).get("photos", {})
        return self._carrying(photos, machine_tag)

    @staticmethod
    def _carrying(photos: dict[str, Any], machine_tag: str) -> dict[str, int]:
        """Photo id -> upload time for the listed photos that carry exactly our tag."""
        return {
            str(p["id"]): as_int(p.get("dateupload"))
            for p in as_list(photos.get("photo"))
            if "id" in p and machine_tag in str(p.get("machine_tags", "")).lower().split()
        }

    async def close(self) -> None:
        await self.client.close()
