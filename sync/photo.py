"""The immutable `Photo`: one candidate of one platform, as read from IMatch.

The file in `Socials|<platform>` is the one uploaded (normally a version). Its metadata
source is its master when it has one: keywords, date taken and camera/exposure come from
the master; title, description and headline are the version's own, falling back to the
master's. Categories are the union of both (genre and places usually sit on the master).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from imatch.library import Publication
from imatch.models import AttributeRecord, FileInfo
from sync.platforms.base import MediaFile

FLAG_UPDATE = "update"
FLAG_METADATA = "metadata"
FLAG_DELETE = "delete"


@dataclass(frozen=True)
class Photo:
    id: int
    name: str
    file: MediaFile
    file_exists: bool
    fingerprint: str = ""
    """Size and modification time of the file; changes when the file is edited."""
    master_id: int | None = None
    is_master: bool = False
    """The file has versions: a version should be published instead."""
    title: str = ""
    description: str = ""
    headline: str = ""
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
    flags: frozenset[str] = frozenset()
    direct: bool = True
    """Directly in `Socials|<platform>` (not only in a flag category)."""
    records: tuple[AttributeRecord, ...] = ()
    """This platform's attribute records; the first one is authoritative."""
    current_errors: frozenset[str] = frozenset()
    """The `__errors|<name>` categories the file is in now."""

    @property
    def record(self) -> AttributeRecord | None:
        return self.records[0] if self.records else None

    @property
    def on_platform(self) -> bool:
        return bool(self.records)

    def has_flag(self, flag: str) -> bool:
        return flag in self.flags


def build_photos(pub: Publication) -> list[Photo]:
    """One Photo per candidate of the publication, in id order."""
    return [build_photo(pub, file_id) for file_id in pub.candidates if file_id in pub.files]


def build_photo(pub: Publication, file_id: int) -> Photo:
    file = pub.files[file_id]
    master = pub.master_of(file_id)
    source = master or file
    layout = pub.layout
    categories = _categories(pub, file_id, master)
    errors_prefix = f"{pub.root}|{layout.errors}|"
    flags = {
        FLAG_UPDATE: pub.flag(file_id, layout.update),
        FLAG_METADATA: pub.flag(file_id, layout.metadata),
        FLAG_DELETE: pub.flag(file_id, layout.delete),
    }
    path = Path(file.file_name) if file.file_name else Path(file.name)
    fingerprint = _fingerprint(path) if file.file_name else ""
    return Photo(
        id=file_id,
        name=file.name or path.name,
        file=MediaFile(path=path, size=file.size, format=file.format),
        file_exists=bool(fingerprint),
        fingerprint=fingerprint,
        master_id=master.id if master else None,
        is_master=bool(pub.versions.get(file_id)),
        title=_own_or_master(file, master, "title"),
        description=_own_or_master(file, master, "description"),
        headline=_own_or_master(file, master, "headline"),
        keywords=_keywords(source),
        date_taken=source.date_time,
        circa=bool(source.text("circa_date_created").strip()),
        iso=source.text("iso").strip(),
        shutter_speed=source.text("shutter_speed").strip(),
        aperture=source.text("aperture").strip(),
        focal_length=source.text("focal_length").strip(),
        make=source.text("make").strip(),
        model=source.text("model").strip(),
        lens=source.text("lens").strip(),
        categories=categories,
        flags=frozenset(name for name, on in flags.items() if on),
        direct=file_id in pub.direct,
        records=pub.records.get(file_id, ()),
        current_errors=frozenset(
            path[len(errors_prefix) :] for path in categories if path.startswith(errors_prefix)
        ),
    )


def _fingerprint(path: Path) -> str:
    try:
        status = os.stat(path)
    except OSError:
        return ""
    if not stat.S_ISREG(status.st_mode):
        return ""
    return f"{status.st_size}:{status.st_mtime_ns}"


def _own_or_master(file: FileInfo, master: FileInfo | None, key: str) -> str:
    own = file.text(key).strip()
    if own or master is None:
        return own
    return master.text(key).strip()


def _keywords(source: FileInfo) -> tuple[str, ...]:
    keywords: list[str] = []
    for value in source.items("hierarchical_keywords"):
        # A list-valued variable may arrive joined with IMatch's list separator.
        keywords.extend(part.strip() for part in value.split(";") if part.strip())
    return tuple(dict.fromkeys(keywords))


def _categories(pub: Publication, file_id: int, master: FileInfo | None) -> dict[str, str]:
    found: dict[str, str] = {}
    for owner in (master.id if master else None, file_id):
        if owner is None:
            continue
        for category in pub.categories.get(owner, ()):
            found[category.path] = category.description
    return found
