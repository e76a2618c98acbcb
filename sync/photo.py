"""The immutable `Photo`: one candidate of one platform, as read from IMatch.

Both layouts of the original tool are understood (DESIGN.md section 4):
- a version in `Socials|<platform>` is uploaded itself; keywords, date taken and
  camera/exposure come from its master, title, description and headline are the
  version's own, falling back to the master's; categories are the union of both;
- a master in `Socials|<platform>` has its single version in an allowed format uploaded,
  with the master's metadata (the original's last release); several such versions, or
  none, is a named error;
- a file with neither is uploaded with its own metadata.
A photo's records are those of the Socials file **and** of its master/version relatives,
so moving an assignment between them never uploads a photo again.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from imatch.library import Publication
from imatch.models import AttributeRecord, Category, FileInfo, RelatedFile
from sync.error_names import BOTH_ASSIGNED, NO_USABLE_VERSION, SEVERAL_VERSIONS, SHARED_RECORD
from sync.keyword_paths import normal_path
from sync.platforms.base import MediaFile
from sync.visible_text import first_line, visible

FLAG_UPDATE = "update"
FLAG_METADATA = "metadata"
FLAG_DELETE = "delete"

DEFAULT_FORMATS = frozenset({"JPEG"})
TEXT_FIELDS = ("title", "description", "headline")


class Layout(StrEnum):
    SINGLE = "single"
    """A file without master or versions: uploaded with its own metadata."""
    VERSION = "version"
    """A version in Socials: uploaded; keywords, date and camera from its master."""
    MASTER = "master"
    """A master in Socials: its single version in an allowed format is uploaded."""


@dataclass(frozen=True, slots=True)
class PhotoSource:
    """What a photo is in IMatch, the same on every platform it is planned for: its
    files, texts, keywords and categories. The platforms' photos of one file in a scan
    share one (at 50,000 photos on three platforms, 15 MB less than a copy each)."""

    id: int
    """The file in Socials (or a flag category): flags and new records belong to it."""
    name: str
    file: MediaFile
    """The file that is uploaded (a version, for a master in Socials)."""
    file_exists: bool
    fingerprint: str = ""
    """Size and modification time of the file; changes when the file is edited."""
    master_id: int | None = None
    """The master whose metadata a version in Socials uses."""
    is_master: bool = False
    """The file in Socials is a master with versions (the original's last layout)."""
    upload_id: int = 0
    """IMatch id of the uploaded file (0: the photo's own file)."""
    layout: Layout = Layout.SINGLE
    title: str = ""
    description: str = ""
    headline: str = ""
    text_from_master: frozenset[str] = frozenset()
    """Which of title, description and headline a version took from its master."""
    keywords: tuple[str, ...] = ()
    """Hierarchical keywords (`a|b|c`) of the metadata source."""
    date_taken: datetime | None = None
    circa: bool = False
    iso: str = ""
    shutter_speed: str = ""
    aperture: str = ""
    focal_length: str = ""
    make: str = ""
    model: str = ""
    lens: str = ""
    categories: Mapping[str, str] = field(default_factory=dict)
    """Category path -> description, of the file and its master."""
    relatives: tuple[int, ...] = ()
    """Masters and versions of the file: their records count as this photo's."""
    names: Mapping[int, str] = field(default_factory=dict)
    """File id -> file name, for the file, its relatives and the uploaded file; empty for
    a photo of one file named `name` (use `Photo.name_of`)."""


@dataclass(frozen=True, slots=True, init=False)
class Photo:
    """One candidate of one platform: its `source` in IMatch and what this platform's
    categories and records say of it. Built like one flat record (`Photo(id=...,
    title=..., records=...)`, `dataclasses.replace(photo, title=...)`): the source's
    fields are read through it."""

    source: PhotoSource
    flags: frozenset[str]
    direct: bool
    """Directly in `Socials|<platform>` (not only in a flag category)."""
    records: tuple[AttributeRecord, ...]
    """This platform's attribute records on the file and on its relatives, the file's own
    first; the first one is authoritative."""
    direct_relatives: tuple[int, ...]
    """Relatives that are themselves directly in `Socials|<platform>`."""
    relation_errors: tuple[str, ...]
    """What the master/version relations make impossible (several versions, ...)."""
    relation_note: str
    """Which files a relation error is about."""
    managed: Mapping[str, frozenset[str]]
    """`albums`/`groups` (layout names) -> every remote id IMatch has a category for."""
    current_errors: frozenset[str]
    """The `__errors|<name>` categories the file is in now."""

    def __init__(
        self,
        source: PhotoSource | None = None,
        *,
        flags: frozenset[str] = frozenset(),
        direct: bool = True,
        records: tuple[AttributeRecord, ...] = (),
        direct_relatives: tuple[int, ...] = (),
        relation_errors: tuple[str, ...] = (),
        relation_note: str = "",
        managed: Mapping[str, frozenset[str]] | None = None,
        current_errors: frozenset[str] = frozenset(),
        **source_fields: Any,
    ) -> None:
        if source is None:
            source = PhotoSource(**source_fields)
        elif source_fields:
            source = replace(source, **source_fields)
        set_field = object.__setattr__
        set_field(self, "source", source)
        set_field(self, "flags", flags)
        set_field(self, "direct", direct)
        set_field(self, "records", records)
        set_field(self, "direct_relatives", direct_relatives)
        set_field(self, "relation_errors", relation_errors)
        set_field(self, "relation_note", relation_note)
        set_field(self, "managed", {} if managed is None else managed)
        set_field(self, "current_errors", current_errors)

    @property
    def id(self) -> int:
        return self.source.id

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def file(self) -> MediaFile:
        return self.source.file

    @property
    def file_exists(self) -> bool:
        return self.source.file_exists

    @property
    def fingerprint(self) -> str:
        return self.source.fingerprint

    @property
    def master_id(self) -> int | None:
        return self.source.master_id

    @property
    def is_master(self) -> bool:
        return self.source.is_master

    @property
    def upload_id(self) -> int:
        return self.source.upload_id

    @property
    def layout(self) -> Layout:
        return self.source.layout

    @property
    def title(self) -> str:
        return self.source.title

    @property
    def description(self) -> str:
        return self.source.description

    @property
    def headline(self) -> str:
        return self.source.headline

    @property
    def text_from_master(self) -> frozenset[str]:
        return self.source.text_from_master

    @property
    def keywords(self) -> tuple[str, ...]:
        return self.source.keywords

    @property
    def date_taken(self) -> datetime | None:
        return self.source.date_taken

    @property
    def circa(self) -> bool:
        return self.source.circa

    @property
    def iso(self) -> str:
        return self.source.iso

    @property
    def shutter_speed(self) -> str:
        return self.source.shutter_speed

    @property
    def aperture(self) -> str:
        return self.source.aperture

    @property
    def focal_length(self) -> str:
        return self.source.focal_length

    @property
    def make(self) -> str:
        return self.source.make

    @property
    def model(self) -> str:
        return self.source.model

    @property
    def lens(self) -> str:
        return self.source.lens

    @property
    def categories(self) -> Mapping[str, str]:
        return self.source.categories

    @property
    def relatives(self) -> tuple[int, ...]:
        return self.source.relatives

    @property
    def names(self) -> Mapping[int, str]:
        return self.source.names

    @property
    def record(self) -> AttributeRecord | None:
        return self.records[0] if self.records else None

    @property
    def on_platform(self) -> bool:
        return bool(self.records)

    def name_of(self, file_id: int) -> str:
        """The name of the photo's file or of one of its relatives ("" when unknown)."""
        names = self.source.names
        if names:
            return names.get(file_id, "")
        return self.source.name if file_id == self.source.id else ""

    def has_flag(self, flag: str) -> bool:
        return flag in self.flags


def usable_versions(versions: Iterable[RelatedFile], formats: frozenset[str]) -> list[RelatedFile]:
    """The versions whose format the platform takes, in id order."""
    allowed = {f.upper() for f in formats}
    return sorted((v for v in versions if v.format.upper() in allowed), key=lambda v: v.id)


def build_photos(pub: Publication, formats: frozenset[str] = DEFAULT_FORMATS) -> list[Photo]:
    """One Photo per candidate of the publication, in id order.

    `formats` are the IMatch formats the platform takes: they decide which version of a
    master in Socials is uploaded."""
    managed = managed_ids(pub)
    photos = [
        build_photo(pub, file_id, formats, managed)
        for file_id in pub.candidates
        if file_id in pub.files
    ]
    return _flag_shared_records(pub, photos)


def build_photo(
    pub: Publication,
    file_id: int,
    formats: frozenset[str] = DEFAULT_FORMATS,
    managed: Mapping[str, frozenset[str]] | None = None,
) -> Photo:
    file = pub.files[file_id]
    master = pub.master_of(file_id)
    versions = pub.versions.get(file_id, ())
    if master is not None:
        layout = Layout.VERSION
    elif versions:
        layout = Layout.MASTER
    else:
        layout = Layout.SINGLE
    upload, relation_errors, relation_note = _upload_file(pub, file, versions, formats)
    categories = _categories(pub, file_id, master)
    errors_prefix = f"{pub.root}|{pub.layout.errors}|"
    flags = {
        FLAG_UPDATE: pub.flag(file_id, pub.layout.update),
        FLAG_METADATA: pub.flag(file_id, pub.layout.metadata),
        FLAG_DELETE: pub.flag(file_id, pub.layout.delete),
    }
    # The same file planned for another platform of this scan: its source (what depends
    # on the files alone) is shared when the read says the same of it.
    earlier = _built(pub).get(file_id)
    media, fingerprint = _media_file(pub, file_id, upload, earlier)
    relatives = pub.relatives(file_id)
    if earlier is not None and not (
        earlier.master_id == (master.id if master else None)
        and earlier.upload_id == upload.id
        and earlier.relatives == relatives
    ):
        earlier = None
    if earlier is not None:
        relatives = earlier.relatives
    direct_relatives = tuple(r for r in relatives if r in pub.direct)
    both_direct = file_id in pub.direct and upload.id in pub.direct
    if layout is Layout.MASTER and both_direct and not relation_errors:
        relation_errors = (BOTH_ASSIGNED,)
        relation_note = f"{upload.name} is in Socials too: keep one of the two"
    source = (
        earlier.source
        if earlier is not None
        and earlier.file is media
        and earlier.fingerprint == fingerprint
        and earlier.categories == categories
        else None
    )
    if source is None:
        shared_categories = (
            earlier.categories
            if earlier is not None and earlier.categories == categories
            else categories
        )
        fields = _source_fields(pub, file, master, layout, (upload, media, fingerprint), relatives)
        source = PhotoSource(**fields, categories=shared_categories)
    photo = Photo(
        source,
        flags=_one_copy(name for name, on in flags.items() if on),
        direct=file_id in pub.direct,
        records=_records(pub, file_id, relatives),
        direct_relatives=direct_relatives,
        relation_errors=relation_errors,
        relation_note=relation_note,
        managed=managed if managed is not None else managed_ids(pub),
        current_errors=_one_copy(
            path[len(errors_prefix) :] for path in categories if path.startswith(errors_prefix)
        ),
    )
    _built(pub)[file_id] = photo
    return photo


def _source_fields(
    pub: Publication,
    file: FileInfo,
    master: FileInfo | None,
    layout: Layout,
    uploaded: tuple[UploadedFile, MediaFile, str],
    relatives: tuple[int, ...],
) -> dict[str, Any]:
    """A `PhotoSource`'s fields but its categories: the file's, its master's and those
    of the file that is `uploaded` (with its media file and fingerprint)."""
    upload, media, fingerprint = uploaded
    names: Mapping[int, str] = NO_NAMES
    if relatives or upload.id != file.id or not file.name:
        # Most photos are one file named like the photo: they need no mapping of their own.
        found = {file.id: file.name, upload.id: upload.name}
        versions = pub.versions.get(file.id, ())
        for relative in relatives:
            info = pub.files.get(relative)
            found.setdefault(relative, info.name if info else _related_name(versions, relative))
        names = FileNames(found)
    return dict(
        id=file.id,
        name=file.name or media.path.name,
        file=media,
        file_exists=bool(fingerprint),
        fingerprint=fingerprint,
        master_id=master.id if master else None,
        is_master=layout is Layout.MASTER,
        upload_id=upload.id,
        layout=layout,
        relatives=relatives,
        names=names,
        **_file_fields(file, master),
    )


class FileNames(Mapping[int, str]):
    """File id -> name of a photo's few files, as one tuple: a `dict` of two or three
    names is twice its size (40,000 photos with a master at 50,000: 4 MB)."""

    __slots__ = ("_pairs",)

    def __init__(self, names: Mapping[int, str]) -> None:
        self._pairs: tuple[Any, ...] = tuple(item for pair in names.items() for item in pair)

    def __getitem__(self, file_id: int) -> str:
        pairs = self._pairs
        for at in range(0, len(pairs), 2):
            if pairs[at] == file_id:
                return str(pairs[at + 1])
        raise KeyError(file_id)

    def __iter__(self) -> Iterator[int]:
        return iter(self._pairs[::2])

    def __len__(self) -> int:
        return len(self._pairs) // 2

    def __repr__(self) -> str:
        return f"FileNames({dict(self)!r})"


NO_NAMES: Mapping[int, str] = {}
"""The names of a photo of one file named like itself (never changed: photos are read-only;
a plain dict, so plans can be copied and pickled)."""
_SETS: dict[frozenset[str], frozenset[str]] = {}
UploadedFile = RelatedFile | FileInfo
"""The file a photo uploads: its own (as read), a version as read, or a version as its
master's relations describe it when it was not read; all say id, names, format, size."""


def _one_copy(names: Iterable[str]) -> frozenset[str]:
    """One object per distinct set of flags or error names for all photos (there are a
    handful of them; each empty set alone would cost 200 bytes per photo)."""
    found = frozenset(names)
    return _SETS.setdefault(found, found)


def _file_fields(file: FileInfo, master: FileInfo | None) -> dict[str, Any]:
    own = file.texts()
    from_master = master.texts() if master is not None else None
    source = own if from_master is None else from_master
    texts = {key: _own_or_master(own, from_master, key) for key in TEXT_FIELDS}
    return {
        "title": texts["title"][0],
        "description": texts["description"][0],
        "headline": texts["headline"][0],
        "text_from_master": _one_copy(key for key, (_, borrowed) in texts.items() if borrowed),
        "keywords": _keywords(master or file),
        "date_taken": (master or file).date_time,
        "circa": bool(visible(source.get("circa_date_created", ""))),
        "iso": visible(source.get("iso", "")),
        "shutter_speed": visible(source.get("shutter_speed", "")),
        "aperture": visible(source.get("aperture", "")),
        "focal_length": visible(source.get("focal_length", "")),
        "make": visible(source.get("make", "")),
        "model": visible(source.get("model", "")),
        "lens": visible(source.get("lens", "")),
    }


def _built(pub: Publication) -> dict[int, Photo]:
    """The last photo built for each file in this scan (`Publication.shared`)."""
    return pub.shared.setdefault("photos", {})  # type: ignore[return-value]


def _media_file(
    pub: Publication, file_id: int, upload: UploadedFile, earlier: Photo | None
) -> tuple[MediaFile, str]:
    """The file to upload and its fingerprint, made and `stat`ed once per file for all the
    platforms of a scan: from the photo built earlier for the same file or for the file
    uploaded, or kept (`Publication.shared`) when the file is another's upload (a master's
    version), the one case neither of those covers."""
    path_text = upload.file_name or upload.name
    made: dict[int, tuple[MediaFile, str]] = pub.shared.setdefault("media", {})  # type: ignore[assignment]
    built = _built(pub).get(upload.id)
    for source in (earlier, built):
        if source is not None and source.upload_id == upload.id:
            known: tuple[MediaFile, str] | None = (source.file, source.fingerprint)
            break
    else:
        known = made.get(upload.id)
    if known is not None:
        media = known[0]
        if (media.location, media.size, media.format) == (path_text, upload.size, upload.format):
            return known
    media = MediaFile(path_text, upload.size, upload.format)
    fingerprint = _fingerprint(path_text) if upload.file_name else ""
    if upload.id != file_id:
        made[upload.id] = (media, fingerprint)
    return media, fingerprint


def _upload_file(
    pub: Publication,
    file: FileInfo,
    versions: tuple[RelatedFile, ...],
    formats: frozenset[str],
) -> tuple[UploadedFile, tuple[str, ...], str]:
    """The file to upload, and why there is none when a master's versions do not say."""
    if not versions:
        return file, (), ""
    usable = usable_versions(versions, formats)
    if len(usable) == 1:
        # The version's own properties when they were read, else what relations said.
        return pub.files.get(usable[0].id) or usable[0], (), ""
    if usable:
        names = ", ".join(v.name or str(v.id) for v in usable)
        return file, (SEVERAL_VERSIONS,), f"versions that could be uploaded: {names}"
    found = ", ".join(f"{v.name or v.id} ({v.format or 'unknown format'})" for v in versions)
    return file, (NO_USABLE_VERSION,), f"versions: {found}"


def _related_name(versions: tuple[RelatedFile, ...], file_id: int) -> str:
    return next((v.name for v in versions if v.id == file_id), str(file_id))


def _records(
    pub: Publication, file_id: int, relatives: tuple[int, ...]
) -> tuple[AttributeRecord, ...]:
    found = list(pub.records.get(file_id, ()))
    for relative in relatives:
        found += pub.records.get(relative, ())
    return tuple(found)


def _flag_shared_records(pub: Publication, photos: list[Photo]) -> list[Photo]:
    """A relative's records claimed by two candidates that are not that relative (two
    versions of a master that holds the record) could belong to either: both get
    `record shared by versions` instead of one of them being held back silently."""
    claims: dict[int, list[int]] = {}
    candidates = set(pub.candidates)
    for photo in photos:
        for relative in photo.relatives:
            if pub.records.get(relative) and relative not in candidates:
                claims.setdefault(relative, []).append(photo.id)
    shared = {c for claimants in claims.values() if len(claimants) > 1 for c in claimants}
    if not shared:
        return photos
    return [
        _with_relation_error(photo, SHARED_RECORD, "the master's record could be either's")
        if photo.id in shared
        else photo
        for photo in photos
    ]


def _with_relation_error(photo: Photo, error: str, note: str) -> Photo:
    return replace(
        photo,
        relation_errors=(*photo.relation_errors, error),
        relation_note="; ".join(n for n in (photo.relation_note, note) if n),
    )


def managed_ids(pub: Publication) -> dict[str, frozenset[str]]:
    """Remote ids of every album and group IMatch has a category for: the children of
    `albums`/`groups` and any deeper category a candidate or master is in."""
    managed: dict[str, frozenset[str]] = {}
    for kind in (pub.layout.albums, pub.layout.groups):
        ids = set()
        subtree = pub.subtrees.get(kind)
        for child in _descendants(subtree.children if subtree else ()):
            ids.add(first_line(child.description))
        prefix = f"{pub.root}|{kind}|"
        # Files with the same categories share one tuple (`file_categories`): each set once.
        for refs in {id(refs): refs for refs in pub.categories.values()}.values():
            ids.update(first_line(c.description) for c in refs if c.path.startswith(prefix))
        managed[kind] = frozenset(i for i in ids if i)
    return managed


def _descendants(children: Iterable[Category]) -> Iterator[Category]:
    """Albums (or groups) and those in folders below them (`albums|Trips|Japan`)."""
    for child in children:
        yield child
        yield from _descendants(child.children)


def _fingerprint(path: str | Path) -> str:
    try:
        status = os.stat(path)
    except OSError:
        return ""
    if not stat.S_ISREG(status.st_mode):
        return ""
    return f"{status.st_size}:{status.st_mtime_ns}"


def _own_or_master(
    file: Mapping[str, str], master: Mapping[str, str] | None, key: str
) -> tuple[str, bool]:
    """The file's own text, else its master's; and whether it came from the master
    (`FileInfo.texts` of each)."""
    own = visible(file.get(key, ""))
    if own or master is None:
        return own, False
    borrowed = visible(master.get(key, ""))
    return borrowed, bool(borrowed)


def _keywords(source: FileInfo) -> tuple[str, ...]:
    keywords: list[str] = []
    for value in source.items("hierarchical_keywords"):
        # A list-valued variable may arrive joined with IMatch's list separator.
        # A keyword with no level that shows (`|`, `\u200b|`) is no keyword at all.
        keywords.extend(sys.intern(part.strip()) for part in value.split(";") if normal_path(part))
    return tuple(dict.fromkeys(keywords))


def _categories(pub: Publication, file_id: int, master: FileInfo | None) -> dict[str, str]:
    """Path -> description of the file's and its master's categories: one mapping for
    every photo with the same sets (the read shares one tuple per set), never changed."""
    own = pub.categories.get(file_id, ())
    from_master = pub.categories.get(master.id, ()) if master else ()
    made: dict[tuple[int, int], tuple[object, object, dict[str, str]]]
    made = pub.shared.setdefault("category mappings", {})  # type: ignore[assignment]
    key = (id(from_master), id(own))
    known = made.get(key)
    # The entry holds both tuples, so their ids cannot be reused by other tuples.
    if known is not None and known[0] is from_master and known[1] is own:
        return known[2]
    found: dict[str, str] = {}
    for refs in (from_master, own):
        for category in refs:
            found[category.path] = category.description
    made[key] = (from_master, own, found)
    return found
