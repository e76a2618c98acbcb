"""The flickr REST methods of the simulator (reference/platform-apis.md section B).

Each method gets a `Call` (parameters, caller, state, settings) and returns the children
of `<rsp stat="ok">` as `Element`s, or raises `ApiError` with flickr's code and message.
`Element` renders to flickr's XML and to its JSON by the documented mapping rules.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sandbox.flickr_state import (
    GRANULARITIES,
    OLDEST_TAKEN_YEAR,
    AccessToken,
    FlickrSettings,
    FlickrState,
    Group,
    Photo,
    Photoset,
    at_granularity,
    build_tags,
    clean_tag_text,
    format_date_taken,
    kept_description,
    normalize_tag,
    parse_date_taken,
    split_tag_string,
)

SERVER = "65535"
FARM = 66
MAX_PER_PAGE = 500
SEARCH_RESULT_CAP = 4000
MAX_MACHINE_TAGS_ANY = 8
MAX_MACHINE_TAGS_ALL = 16


# --- responses ----------------------------------------------------------------------


@dataclass
class Element:
    """One XML element of a flickr answer; `arrays` names children that JSON lists."""

    name: str
    attrs: dict[str, str | int] = field(default_factory=dict)
    text: str | None = None
    children: list[Element] = field(default_factory=list)
    arrays: frozenset[str] = frozenset()


def to_xml(element: Element) -> ET.Element:
    node = ET.Element(element.name, {k: str(v) for k, v in element.attrs.items()})
    if element.text is not None:
        node.text = element.text
    node.extend(to_xml(child) for child in element.children)
    return node


def json_members(element: Element) -> dict[str, object]:
    members: dict[str, object] = dict(element.attrs)
    if element.text is not None:
        members["_content"] = element.text
    grouped: dict[str, list[object]] = {name: [] for name in element.arrays}
    for child in element.children:
        grouped.setdefault(child.name, []).append(json_members(child))
    for name, values in grouped.items():
        members[name] = values if name in element.arrays or len(values) > 1 else values[0]
    return members


def render_xml(stat: str, children: list[Element]) -> bytes:
    rsp = to_xml(Element("rsp", {"stat": stat}, children=children))
    body = ET.tostring(rsp, encoding="unicode")
    return ('<?xml version="1.0" encoding="utf-8" ?>\n' + body + "\n").encode()


def render_json(
    stat: str,
    children: list[Element],
    error: ApiError | None = None,
    arrays: frozenset[str] = frozenset(),
) -> bytes:
    if error is not None:
        payload: dict[str, object] = {"stat": "fail", "code": error.code, "message": error.message}
    else:
        payload = json_members(Element("rsp", children=children, arrays=arrays))
        payload["stat"] = stat
    return json.dumps(payload, ensure_ascii=False).encode()


def error_elements(error: ApiError) -> list[Element]:
    return [Element("err", {"code": error.code, "msg": error.message}), *error.extra]


class ApiError(Exception):
    """A `stat="fail"` answer."""

    def __init__(self, code: int, message: str, extra: Iterable[Element] = ()) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.extra = list(extra)


# --- calls --------------------------------------------------------------------------


@dataclass
class Call:
    params: dict[str, str]
    caller: AccessToken | None
    state: FlickrState
    settings: FlickrSettings
    now: int
    changed: bool = False
    """Set by a method once it changed the state (its answer may then be dropped)."""
    json_arrays: frozenset[str] = frozenset()
    """Top-level children that JSON lists even when there is only one."""

    @property
    def caller_nsid(self) -> str | None:
        return self.caller.user_nsid if self.caller else None

    def get(self, name: str) -> str | None:
        value = self.params.get(name)
        return value if value not in (None, "") else None

    def owned_photo(self, param: str = "photo_id", code: int = 1) -> Photo:
        photo = self.state.photos.get(self.params.get(param, ""))
        if photo is None or photo.owner != self.caller_nsid:
            raise ApiError(code, "Photo not found")
        return photo

    def viewable_photo(self) -> Photo:
        photo = self.state.photos.get(self.params.get("photo_id", ""))
        if photo is None or not can_view(photo, self.caller_nsid):
            raise ApiError(1, "Photo not found")
        return photo

    def touch(self, photo: Photo) -> None:
        photo.last_update = self.now
        self.changed = True


Handler = Callable[[Call], list[Element]]


@dataclass(frozen=True)
class Method:
    handler: Handler
    perms: str | None
    """None: no authentication needed; "signed": any valid token; else the level needed."""


METHODS: dict[str, Method] = {}


def method(name: str, perms: str | None = None) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        METHODS[name] = Method(handler, perms)
        return handler

    return register


def can_view(photo: Photo, viewer: str | None) -> bool:
    return photo.is_public or photo.owner == viewer


def php_int(value: str | None, default: int = 0) -> int:
    """flickr is PHP: a flag "True" is intval("True") == 0, only leading digits count."""
    if value is None:
        return default
    match = re.match(r"\s*([+-]?\d+)", value)
    return int(match.group(1)) if match else 0


def flag(value: bool) -> int:
    return 1 if value else 0


def photo_page_url(photo: Photo) -> str:
    return f"https://www.flickr.com/photos/{photo.owner}/{photo.id}/"


# --- test and auth ------------------------------------------------------------------


@method("flickr.test.login", "read")
def test_login(call: Call) -> list[Element]:
    user = call.state.users[call.caller_nsid or ""]
    username = Element("username", text=user.username)
    return [Element("user", {"id": user.nsid, "path_alias": user.path_alias}, children=[username])]


@method("flickr.test.echo")
def test_echo(call: Call) -> list[Element]:
    return [Element(name, text=value) for name, value in sorted(call.params.items())]


@method("flickr.auth.oauth.checkToken", "signed")
def check_token(call: Call) -> list[Element]:
    token = call.caller
    assert token is not None
    user = call.state.users[token.user_nsid]
    shown = token.token if call.settings.check_token_echoes_token else "***"
    user_attrs: dict[str, str | int] = {
        "nsid": user.nsid,
        "username": user.username,
        "fullname": user.fullname,
    }
    oauth = Element(
        "oauth",
        children=[
            Element("token", text=shown),
            Element("perms", text=token.perms),
            Element("user", user_attrs),
        ],
    )
    return [oauth]


@method("flickr.people.getInfo")
def people_get_info(call: Call) -> list[Element]:
    """The person, with `path_alias` (what their photo URLs use instead of the NSID)."""
    user = call.state.users.get(call.params.get("user_id", ""))
    if user is None:
        raise ApiError(1, "User not found")
    path = user.path_alias or user.nsid
    attrs: dict[str, str | int] = {
        "id": user.nsid,
        "nsid": user.nsid,
        "ispro": flag(user.is_pro),
        "is_deleted": 0,
        "path_alias": user.path_alias,
    }
    children = [
        Element("username", text=user.username),
        Element("realname", text=user.fullname),
        Element("photosurl", text=f"https://www.flickr.com/photos/{path}/"),
        Element("profileurl", text=f"https://www.flickr.com/people/{path}/"),
        Element(
            "photos", children=[Element("count", text=str(len(call.state.photos_of(user.nsid))))]
        ),
    ]
    return [Element("person", attrs, children=children)]


@method("flickr.people.getLimits", "read")
def people_get_limits(call: Call) -> list[Element]:
    photos = Element(
        "photos", {"maxdisplaypx": "1024", "maxupload": str(call.settings.max_upload_bytes)}
    )
    videos = Element("videos", {"maxduration": "180", "maxupload": str(1024**3)})
    return [Element("person", {"nsid": call.caller_nsid or ""}, children=[photos, videos])]


# --- photos: read -------------------------------------------------------------------


def tag_element(tag_id: str, author: str, raw: str, normalized: str, machine: bool) -> Element:
    attrs: dict[str, str | int] = {
        "id": tag_id,
        "author": author,
        "raw": raw,
        "machine_tag": flag(machine),
    }
    return Element("tag", attrs, text=normalized)


def photo_info(call: Call, photo: Photo) -> Element:
    owner = call.state.users[photo.owner]
    is_owner = photo.owner == call.caller_nsid
    children = [
        Element(
            "owner", {"nsid": owner.nsid, "username": owner.username, "realname": owner.fullname}
        ),
        Element("title", text=photo.title),
        Element("description", text=photo.description),
        Element(
            "visibility",
            {
                "ispublic": flag(photo.is_public),
                "isfriend": flag(photo.is_friend),
                "isfamily": flag(photo.is_family),
            },
        ),
        Element(
            "dates",
            {
                "posted": str(photo.date_posted),
                "taken": photo.date_taken,
                "takengranularity": photo.date_taken_granularity,
                "takenunknown": flag(photo.date_taken_unknown),
                "lastupdate": str(photo.last_update),
            },
        ),
    ]
    if is_owner:
        perms: dict[str, str | int] = {
            "id": photo.id,
            "permcomment": photo.perm_comment,
            "permaddmeta": photo.perm_addmeta,
        }
        children.append(Element("permissions", perms))
    edit = {"cancomment": flag(is_owner), "canaddmeta": flag(is_owner)}
    children.append(Element("editability", dict(edit)))
    tags = [tag_element(t.id, t.author, t.raw, t.normalized, t.is_machine) for t in photo.tags]
    children.append(Element("tags", children=tags, arrays=frozenset({"tag"})))
    url = Element("url", {"type": "photopage"}, text=photo_page_url(photo))
    children.append(Element("urls", children=[url], arrays=frozenset({"url"})))
    attrs: dict[str, str | int] = {
        "id": photo.id,
        "secret": photo.secret,
        "server": SERVER,
        "farm": FARM,
        "dateuploaded": str(photo.date_posted),
        "isfavorite": 0,
        "license": "0",
        "safety_level": str(photo.safety_level),
        "rotation": 0,
        "views": "0",
        "media": "photo",
    }
    if is_owner:
        attrs.update(originalsecret=photo.original_secret, originalformat=photo.original_format)
    return Element("photo", attrs, children=children)


@method("flickr.photos.getInfo")
def photos_get_info(call: Call) -> list[Element]:
    return [photo_info(call, call.viewable_photo())]


@method("flickr.photos.getAllContexts")
def photos_get_all_contexts(call: Call) -> list[Element]:
    photo = call.viewable_photo()
    sets = [
        Element("set", {"id": s.id, "title": s.title}) for s in call.state.sets_containing(photo.id)
    ]
    pools = [
        Element("pool", {"id": g.id, "title": g.name})
        for g in call.state.pools_containing(photo.id)
    ]
    # flickr lists the contexts it has and leaves the keys out when there are none.
    call.json_arrays = frozenset(e.name for e in sets + pools)
    return sets + pools


# --- photos: write ------------------------------------------------------------------


def cut_title(settings: FlickrSettings, title: str) -> str:
    limit = settings.max_title_length
    return title if limit is None else title[:limit]


@method("flickr.photos.setMeta", "write")
def photos_set_meta(call: Call) -> list[Element]:
    photo = call.owned_photo()
    title = call.params.get("title")
    description = call.params.get("description")
    if title is None and description is None:
        raise ApiError(2, "At least one of title or description must be set")
    if title is not None:
        photo.title = cut_title(call.settings, title)
    if description is not None:
        photo.description = kept_description(description, call.settings.description_tags)
    call.touch(photo)
    return []


def checked_granularity(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.strip().isdigit() or int(value) not in GRANULARITIES:
        raise ApiError(3, "Invalid granularity")
    return int(value)


def checked_date_posted(call: Call, value: str | None) -> int | None:
    if value is None:
        return None
    if not value.strip().isdigit() or not 0 <= int(value) <= call.now:
        raise ApiError(4, "Invalid date_posted")
    return int(value)


def checked_date_taken(call: Call, value: str | None) -> datetime | None:
    if value is None:
        return None
    moment = parse_date_taken(value)
    if moment is None:
        raise ApiError(5, "Invalid Date Taken Format")
    if moment.year < OLDEST_TAKEN_YEAR or moment > datetime.fromtimestamp(call.now):
        raise ApiError(6, "Invalid Date Taken")
    return moment


@method("flickr.photos.setDates", "write")
def photos_set_dates(call: Call) -> list[Element]:
    photo = call.owned_photo()
    posted_text = call.get("date_posted")
    taken_text = call.get("date_taken")
    granularity_text = call.get("date_taken_granularity")
    if posted_text is None and taken_text is None and granularity_text is None:
        raise ApiError(2, "Not enough arguments")
    granularity = checked_granularity(granularity_text)
    posted = checked_date_posted(call, posted_text)
    taken = checked_date_taken(call, taken_text)
    if posted is not None:
        photo.date_posted = posted
    if granularity is not None:
        photo.date_taken_granularity = granularity
    if taken is None and granularity is not None:
        taken = parse_date_taken(photo.date_taken)
    if taken is not None:
        # Kept at its granularity: a circa 1950 date reads back as 1950-01-01 00:00:00.
        photo.date_taken = format_date_taken(at_granularity(taken, photo.date_taken_granularity))
        photo.date_taken_unknown = False
    call.touch(photo)
    return []


def too_many_tags(call: Call, count: int) -> ApiError | None:
    if count > call.settings.max_tags:
        return ApiError(2, "Maximum number of tags reached")
    return None


@method("flickr.photos.setTags", "write")
def photos_set_tags(call: Call) -> list[Element]:
    photo = call.owned_photo()
    raw_tags = split_tag_string(call.params.get("tags", ""))
    tags = build_tags(raw_tags, photo.owner, photo.id, call.state.next_number)
    error = too_many_tags(call, len(tags))
    if error:
        raise error
    photo.tags = tags
    call.touch(photo)
    return []


@method("flickr.photos.addTags", "write")
def photos_add_tags(call: Call) -> list[Element]:
    photo = call.owned_photo()
    existing = {t.normalized for t in photo.tags}
    wanted = [t for t in split_tag_string(call.params.get("tags", "")) if t]
    added = [
        t
        for t in build_tags(wanted, call.caller_nsid or "", photo.id, call.state.next_number)
        if t.normalized not in existing
    ]
    error = too_many_tags(call, len(photo.tags) + len(added))
    if error:
        raise error
    if added:
        photo.tags.extend(added)
        call.touch(photo)
    return []


@method("flickr.photos.removeTag", "write")
def photos_remove_tag(call: Call) -> list[Element]:
    tag_id = call.params.get("tag_id", "")
    for photo in call.state.photos.values():
        for tag in photo.tags:
            if tag.id == tag_id and call.caller_nsid in (photo.owner, tag.author):
                photo.tags.remove(tag)
                call.touch(photo)
                return []
    raise ApiError(1, "Tag not found")


def required_flags(call: Call, names: tuple[str, ...]) -> list[int]:
    values = [call.get(name) for name in names]
    if any(v is None for v in values):
        raise ApiError(2, "Required arguments missing")
    return [php_int(v) for v in values]


@method("flickr.photos.setPerms", "write")
def photos_set_perms(call: Call) -> list[Element]:
    photo = call.owned_photo()
    is_public, is_friend, is_family = required_flags(call, ("is_public", "is_friend", "is_family"))
    photo.is_public = is_public == 1
    photo.is_friend = is_friend == 1 and not photo.is_public
    photo.is_family = is_family == 1 and not photo.is_public
    if call.get("perm_comment") is not None:
        photo.perm_comment = php_int(call.get("perm_comment"))
    if call.get("perm_addmeta") is not None:
        photo.perm_addmeta = php_int(call.get("perm_addmeta"))
    call.touch(photo)
    attrs: dict[str, str | int] = {
        "secret": photo.secret,
        "originalsecret": photo.original_secret,
    }
    return [Element("photoid", attrs, text=photo.id)]


@method("flickr.photos.setSafetyLevel", "write")
def photos_set_safety_level(call: Call) -> list[Element]:
    photo = call.owned_photo()
    level = call.get("safety_level")
    hidden = call.get("hidden")
    if level is None and hidden is None:
        raise ApiError(2, "Invalid or missing arguments")
    if level is not None and php_int(level) in (1, 2, 3):
        photo.safety_level = php_int(level)
    if hidden is not None:
        photo.hidden = php_int(hidden) == 1
    call.touch(photo)
    return []


@method("flickr.photos.setContentType", "write")
def photos_set_content_type(call: Call) -> list[Element]:
    photo = call.owned_photo()
    content_type = php_int(call.get("content_type"))
    if content_type not in (1, 2, 3):
        raise ApiError(2, "Required arguments missing")
    photo.content_type = content_type
    call.touch(photo)
    return []


def forget_photo(state: FlickrState, photo_id: str) -> None:
    """Remove a deleted photo from every set and pool, as flickr does."""
    for photoset in list(state.sets_containing(photo_id)):
        remove_from_set(state, photoset, photo_id)
    for group in state.groups.values():
        for queue in (group.pool, group.pending):
            if photo_id in queue:
                queue.remove(photo_id)


@method("flickr.photos.delete", "delete")
def photos_delete(call: Call) -> list[Element]:
    photo = call.owned_photo()
    del call.state.photos[photo.id]
    forget_photo(call.state, photo.id)
    call.changed = True
    return []


# --- photo lists: search, recentlyUpdated, people.getPhotos ---------------------------


@dataclass(frozen=True)
class MachineTagQuery:
    namespace: str | None
    predicate: str | None
    value: str | None

    def matches(self, normalized: str) -> bool:
        namespace, _, rest = normalized.partition(":")
        predicate, _, value = rest.partition("=")
        return (
            self.namespace in (None, namespace)
            and self.predicate in (None, predicate)
            and self.value in (None, value)
        )


MACHINE_QUERY = re.compile(r"^(\*|[a-z][a-z0-9_]*):(?:(\*|[a-z][a-z0-9_]*)(?:=(.*))?)?$", re.I)


def parse_machine_tag_query(term: str) -> MachineTagQuery | None:
    match = MACHINE_QUERY.match(term.strip())
    if not match:
        return None
    namespace, predicate, value = match.groups()
    value = clean_tag_text(value.strip('"')) if value else None
    return MachineTagQuery(
        None if namespace == "*" else namespace.lower(),
        None if predicate in (None, "*") else predicate.lower(),
        value or None,
    )


def machine_tag_filter(call: Call) -> Callable[[Photo], bool] | None:
    text = call.get("machine_tags")
    if text is None:
        return None
    terms = [t for t in text.split(",") if t.strip()]
    mode_all = call.params.get("machine_tag_mode", "any") == "all"
    if len(terms) > (MAX_MACHINE_TAGS_ALL if mode_all else MAX_MACHINE_TAGS_ANY):
        raise ApiError(12, "Exceeded maximum allowable machine tags")
    queries = [q for q in map(parse_machine_tag_query, terms) if q is not None]
    if not queries:
        raise ApiError(11, "No valid machine tags")
    combine = all if mode_all else any

    def accept(photo: Photo) -> bool:
        tags = photo.machine_tags
        return combine(any(q.matches(t) for t in tags) for q in queries)

    return accept


def tag_filter(call: Call) -> Callable[[Photo], bool] | None:
    text = call.get("tags")
    if text is None:
        return None
    wanted = [normalize_tag(t.strip())[0] for t in text.split(",") if t.strip()]
    combine = all if call.params.get("tag_mode") == "all" else any

    def accept(photo: Photo) -> bool:
        have = {t.normalized for t in photo.tags}
        return combine(w in have for w in wanted)

    return accept


def resolve_user(call: Call, code: int = 2, message: str = "Unknown user") -> str | None:
    user_id = call.get("user_id")
    if user_id is None:
        return None
    if user_id == "me":
        user_id = call.caller_nsid
    if user_id is None or user_id not in call.state.users:
        raise ApiError(code, message)
    return user_id


def parse_time(value: str | None) -> int | None:
    """A unix timestamp or a MySQL datetime, as flickr's min_/max_ date arguments take."""
    if value is None:
        return None
    if value.strip().isdigit():
        return int(value)
    moment = parse_date_taken(value)
    return int(moment.timestamp()) if moment else None


def upload_date_filter(call: Call) -> Callable[[Photo], bool]:
    low = parse_time(call.get("min_upload_date"))
    high = parse_time(call.get("max_upload_date"))

    def accept(photo: Photo) -> bool:
        return (low is None or photo.date_posted >= low) and (
            high is None or photo.date_posted <= high
        )

    return accept


def extras_of(call: Call) -> set[str]:
    return {e.strip() for e in call.params.get("extras", "").split(",") if e.strip()}


def photo_summary(call: Call, photo: Photo, extras: set[str]) -> Element:
    attrs: dict[str, str | int] = {
        "id": photo.id,
        "owner": photo.owner,
        "secret": photo.secret,
        "server": SERVER,
        "farm": FARM,
        "title": photo.title,
        "ispublic": flag(photo.is_public),
        "isfriend": flag(photo.is_friend),
        "isfamily": flag(photo.is_family),
    }
    children: list[Element] = []
    if "description" in extras:
        children.append(Element("description", text=photo.description))
    if "date_upload" in extras:
        attrs["dateupload"] = str(photo.date_posted)
    if "last_update" in extras:
        attrs["lastupdate"] = str(photo.last_update)
    if "date_taken" in extras:
        attrs["datetaken"] = photo.date_taken
        attrs["datetakengranularity"] = photo.date_taken_granularity
        attrs["datetakenunknown"] = str(flag(photo.date_taken_unknown))
    if "tags" in extras:
        attrs["tags"] = " ".join(t.normalized for t in photo.tags)
    if "machine_tags" in extras:
        attrs["machine_tags"] = " ".join(photo.machine_tags)
    if "owner_name" in extras:
        attrs["ownername"] = call.state.users[photo.owner].username
    if "original_format" in extras and photo.owner == call.caller_nsid:
        attrs["originalsecret"] = photo.original_secret
        attrs["originalformat"] = photo.original_format
    if "media" in extras:
        attrs.update(media="photo", media_status="ready")
    return Element("photo", attrs, children=children)


def paged_photos(call: Call, photos: list[Photo], cap: int | None = None) -> list[Element]:
    per_page = min(max(php_int(call.get("per_page"), 100), 1), MAX_PER_PAGE)
    page = max(php_int(call.get("page"), 1), 1)
    total = len(photos)
    reachable = photos[:cap] if cap is not None else photos
    pages = max(1, -(-len(reachable) // per_page))
    chosen = reachable[(page - 1) * per_page : page * per_page]
    extras = extras_of(call)
    items = [photo_summary(call, p, extras) for p in chosen]
    attrs: dict[str, str | int] = {
        "page": page,
        "pages": pages,
        "perpage": per_page,
        "total": str(total),
    }
    return [Element("photos", attrs, children=items, arrays=frozenset({"photo"}))]


def newest_first(photos: Iterable[Photo]) -> list[Photo]:
    return sorted(photos, key=lambda p: (p.date_posted, int(p.id)), reverse=True)


SEARCH_NARROWING = (
    "user_id",
    "tags",
    "machine_tags",
    "text",
    "min_upload_date",
    "max_upload_date",
    "min_taken_date",
    "max_taken_date",
    "group_id",
)


@method("flickr.photos.search")
def photos_search(call: Call) -> list[Element]:
    if not any(call.get(name) for name in SEARCH_NARROWING):
        raise ApiError(
            3,
            "Parameterless searches have been disabled. "
            "Please use flickr.photos.getRecent instead.",
        )
    owner = resolve_user(call)
    filters = [f for f in (machine_tag_filter(call), tag_filter(call)) if f is not None]
    filters.append(upload_date_filter(call))
    text = (call.get("text") or "").lower()
    call.state.search_calls += 1
    found = []
    for photo in call.state.photos.values():
        if call.state.search_calls <= photo.searchable_after:
            continue
        if owner is not None and photo.owner != owner:
            continue
        if photo.owner != call.caller_nsid and (not photo.is_public or photo.hidden):
            continue
        if text and text not in f"{photo.title} {photo.description}".lower():
            continue
        if all(accept(photo) for accept in filters):
            found.append(photo)
    order = newest_first(found)
    if call.params.get("sort") == "date-posted-asc":
        order.reverse()
    return paged_photos(call, order, cap=SEARCH_RESULT_CAP)


@method("flickr.photos.recentlyUpdated", "read")
def photos_recently_updated(call: Call) -> list[Element]:
    since = parse_time(call.get("min_date")) or 0
    mine = [p for p in call.state.photos_of(call.caller_nsid or "") if p.last_update >= since]
    mine.sort(key=lambda p: (p.last_update, int(p.id)), reverse=True)
    return paged_photos(call, mine)


@method("flickr.people.getPhotos")
def people_get_photos(call: Call) -> list[Element]:
    if call.get("user_id") is None:
        raise ApiError(1, "Required arguments missing")
    owner = resolve_user(call) or ""
    accept_date = upload_date_filter(call)
    photos = [
        p for p in call.state.photos_of(owner) if can_view(p, call.caller_nsid) and accept_date(p)
    ]
    return paged_photos(call, newest_first(photos))


@method("flickr.photos.upload.checkTickets")
def upload_check_tickets(call: Call) -> list[Element]:
    tickets = []
    for ticket_id in (t.strip() for t in call.params.get("tickets", "").split(",")):
        if not ticket_id:
            continue
        photo_id = call.state.upload_tickets.get(ticket_id)
        if photo_id is None:
            tickets.append(Element("ticket", {"id": ticket_id, "invalid": 1}))
        else:
            attrs: dict[str, str | int] = {"id": ticket_id, "complete": 1, "photoid": photo_id}
            tickets.append(Element("ticket", attrs))
    return [Element("uploader", children=tickets, arrays=frozenset({"ticket"}))]


# --- photosets ----------------------------------------------------------------------


def remove_from_set(state: FlickrState, photoset: Photoset, photo_id: str) -> None:
    """flickr picks another primary, and a set left without photos disappears."""
    photoset.photo_ids.remove(photo_id)
    if not photoset.photo_ids:
        delete_set(state, photoset)
    elif photoset.primary == photo_id:
        photoset.primary = photoset.photo_ids[0]


def delete_set(state: FlickrState, photoset: Photoset) -> None:
    del state.photosets[photoset.id]
    state.photoset_order.get(photoset.owner, []).remove(photoset.id)


def owned_set(call: Call) -> Photoset:
    photoset = call.state.photosets.get(call.params.get("photoset_id", ""))
    if photoset is None or photoset.owner != call.caller_nsid:
        raise ApiError(1, "Photoset not found")
    return photoset


@method("flickr.photosets.create", "write")
def photosets_create(call: Call) -> list[Element]:
    title = call.get("title")
    if title is None:
        raise ApiError(1, "No title specified")
    primary = call.owned_photo("primary_photo_id", code=2)
    owner = call.caller_nsid or ""
    order = call.state.photoset_order.setdefault(owner, [])
    limit = call.settings.max_photosets
    if limit is not None and len(order) >= limit:
        raise ApiError(3, "Can't create any more sets")
    photoset = Photoset(
        id=call.state.new_photoset_id(),
        owner=owner,
        title=cut_title(call.settings, title),
        description=call.params.get("description", ""),
        primary=primary.id,
        photo_ids=[primary.id],
        date_create=call.now,
        date_update=call.now,
    )
    call.state.photosets[photoset.id] = photoset
    order.insert(0, photoset.id)
    call.changed = True
    url = f"https://www.flickr.com/photos/{owner}/sets/{photoset.id}/"
    return [Element("photoset", {"id": photoset.id, "url": url})]


@method("flickr.photosets.delete", "write")
def photosets_delete(call: Call) -> list[Element]:
    delete_set(call.state, owned_set(call))
    call.changed = True
    return []


@method("flickr.photosets.addPhoto", "write")
def photosets_add_photo(call: Call) -> list[Element]:
    photoset = owned_set(call)
    photo = call.owned_photo(code=2)
    if photo.id in photoset.photo_ids:
        raise ApiError(3, "Photo already in set")
    limit = call.settings.max_photos_per_set
    if limit is not None and len(photoset.photo_ids) >= limit:
        raise ApiError(10, "Maximum number of photos in set")
    photoset.photo_ids.append(photo.id)
    photoset.date_update = call.now
    call.changed = True
    return []


@method("flickr.photosets.removePhoto", "write")
def photosets_remove_photo(call: Call) -> list[Element]:
    photoset = owned_set(call)
    photo = call.owned_photo(code=2)
    if photo.id not in photoset.photo_ids:
        raise ApiError(3, "Photo not in set")
    photoset.date_update = call.now
    remove_from_set(call.state, photoset, photo.id)
    call.changed = True
    return []


def photoset_element(photoset: Photoset, requested: set[str]) -> Element:
    attrs: dict[str, str | int] = {
        "id": photoset.id,
        "primary": photoset.primary,
        "secret": "0",
        "server": SERVER,
        "farm": FARM,
        "photos": len(photoset.photo_ids),
        "videos": 0,
        "count_views": "0",
        "count_comments": "0",
        "can_comment": 0,
        "date_create": str(photoset.date_create),
        "date_update": str(photoset.date_update),
    }
    if requested:
        attrs["has_requested_photos"] = flag(bool(requested & set(photoset.photo_ids)))
    children = [
        Element("title", text=photoset.title),
        Element("description", text=photoset.description),
    ]
    return Element("photoset", attrs, children=children)


@method("flickr.photosets.getList")
def photosets_get_list(call: Call) -> list[Element]:
    owner = resolve_user(call, code=1, message="User not found") or call.caller_nsid
    if owner is None:
        raise ApiError(1, "User not found")
    order = call.state.photoset_order.get(owner, [])
    requested = {p.strip() for p in call.params.get("photo_ids", "").split(",") if p.strip()}
    sets = [photoset_element(call.state.photosets[i], requested) for i in order]
    page_text = call.get("page")
    per_page = min(max(php_int(call.get("per_page"), MAX_PER_PAGE), 1), MAX_PER_PAGE)
    page = max(php_int(page_text, 1), 1)
    if page_text is not None:
        sets = sets[(page - 1) * per_page : page * per_page]
    attrs: dict[str, str | int] = {
        "page": page,
        "pages": max(1, -(-len(order) // per_page)) if page_text else 1,
        "perpage": per_page if page_text else len(order),
        "total": len(order),
        "cancreate": 1,
    }
    return [Element("photosets", attrs, children=sets, arrays=frozenset({"photoset"}))]


@method("flickr.photosets.getPhotos")
def photosets_get_photos(call: Call) -> list[Element]:
    photoset = call.state.photosets.get(call.params.get("photoset_id", ""))
    if photoset is None:
        raise ApiError(1, "Photoset not found")
    extras = extras_of(call)
    visible = [call.state.photos[i] for i in photoset.photo_ids]
    visible = [p for p in visible if can_view(p, call.caller_nsid)]
    items = []
    for photo in visible:
        item = photo_summary(call, photo, extras)
        item.attrs["isprimary"] = flag(photo.id == photoset.primary)
        items.append(item)
    attrs: dict[str, str | int] = {
        "id": photoset.id,
        "primary": photoset.primary,
        "owner": photoset.owner,
        "ownername": call.state.users[photoset.owner].username,
        "page": 1,
        "pages": 1,
        "perpage": MAX_PER_PAGE,
        "total": len(items),
        "title": photoset.title,
    }
    return [Element("photoset", attrs, children=items, arrays=frozenset({"photo"}))]


# --- groups -------------------------------------------------------------------------


def member_group(call: Call) -> Group:
    group = call.state.groups.get(call.params.get("group_id", ""))
    if group is None or not group.is_member(call.caller_nsid or ""):
        raise ApiError(2, "Group not found")
    return group


def pool_refusal(call: Call, group: Group, photo: Photo) -> ApiError | None:
    """Why `photo` cannot join `group`'s pool right now, checked in flickr's order."""
    nsid = call.caller_nsid or ""
    if photo.id in group.pool:
        return ApiError(3, "Photo already in pool")
    if photo.id in group.pending:
        return ApiError(7, "Your Photo has already been added to the Pending Queue for this Pool")
    if group.pool_disabled:
        return ApiError(11, "Group Pool is disabled")
    if len(call.state.pools_containing(photo.id)) >= call.settings.max_pools_per_photo:
        return ApiError(4, "Photo in maximum number of pools")
    if not group.content_allowed:
        return ApiError(8, "Content not allowed")
    if group.throttle_remaining(nsid, call.now) == 0:
        return ApiError(5, "Photo limit reached")
    if group.max_pool_size is not None and len(group.pool) >= group.max_pool_size:
        return ApiError(10, "Maximum number of photos in Group Pool")
    return None


@method("flickr.groups.pools.add", "write")
def groups_pools_add(call: Call) -> list[Element]:
    photo = call.owned_photo()
    group = member_group(call)
    refusal = pool_refusal(call, group, photo)
    if refusal:
        raise refusal
    nsid = call.caller_nsid or ""
    group.count_add(nsid, call.now)
    call.changed = True
    if group.moderated:
        group.pending.append(photo.id)
        raise ApiError(6, "Your Photo has been added to the Pending Queue for this Pool")
    group.pool.append(photo.id)
    return []


@method("flickr.groups.pools.remove", "write")
def groups_pools_remove(call: Call) -> list[Element]:
    group = call.state.groups.get(call.params.get("group_id", ""))
    if group is None:
        raise ApiError(1, "Group not found")
    photo_id = call.params.get("photo_id", "")
    queue = group.pool if photo_id in group.pool else group.pending
    if photo_id not in queue:
        raise ApiError(2, "Photo not in pool")
    photo = call.state.photos[photo_id]
    if call.caller_nsid != photo.owner and call.caller_nsid not in group.admins:
        raise ApiError(3, "Insufficient permission to remove photo")
    queue.remove(photo_id)
    call.changed = True
    return []


@method("flickr.groups.getInfo")
def groups_get_info(call: Call) -> list[Element]:
    group = call.state.groups.get(call.params.get("group_id", ""))
    if group is None:
        raise ApiError(1, "Group not found")
    throttle: dict[str, str | int] = {
        "count": str(group.throttle_limit or 0),
        "mode": group.throttle_mode if group.throttle_limit is not None else "none",
    }
    remaining = group.throttle_remaining(call.caller_nsid or "", call.now)
    if call.caller is not None and remaining is not None:
        throttle["remaining"] = str(remaining)
    allowed = flag(group.content_allowed)
    restrictions: dict[str, str | int] = {
        "photos_ok": allowed,
        "videos_ok": allowed,
        "images_ok": allowed,
        "screens_ok": allowed,
        "art_ok": allowed,
        "safe_ok": allowed,
        "moderate_ok": allowed,
        "restricted_ok": 0,
        "has_geo": 0,
    }
    attrs: dict[str, str | int] = {
        "id": group.id,
        "nsid": group.id,
        "ispoolmoderated": flag(group.moderated),
        "pool_count": len(group.pool),
    }
    children = [
        Element("name", text=group.name),
        Element("throttle", throttle),
        Element("restrictions", restrictions),
    ]
    return [Element("group", attrs, children=children)]


@method("flickr.groups.pools.getGroups", "read")
def groups_pools_get_groups(call: Call) -> list[Element]:
    nsid = call.caller_nsid or ""
    groups = [g for g in call.state.groups.values() if g.is_member(nsid)]
    items = []
    for group in groups:
        attrs: dict[str, str | int] = {
            "nsid": group.id,
            "id": group.id,
            "name": group.name,
            "admin": flag(nsid in group.admins),
            "privacy": "3",
            "photos": str(len(group.pool)),
        }
        items.append(Element("group", attrs))
    attrs = {"page": 1, "pages": 1, "perpage": 400, "total": len(items)}
    return [Element("groups", dict(attrs), children=items, arrays=frozenset({"group"}))]
