"""Where a photo comes from, in words: the file uploaded, the metadata source and the
existing post it was matched to. The TUI's detail pane and `--dry-run` both show it, so
a user of either IMatch layout can see what will happen before anything does."""

from __future__ import annotations

from dataclasses import dataclass

from imatch.models import AttributeRecord
from sync.photo import TEXT_FIELDS, Layout, Photo
from sync.visible_text import visible

RECORD_BOOKKEEPING = ("posted", "url")


@dataclass(frozen=True)
class Provenance:
    """Field names are the keys of the `--dry-run --json` photo entries."""

    file: str
    """Which file is uploaded, e.g. `DSCF0001.jpg, the master's version`."""
    metadata: str
    """Where title, keywords, date and camera come from."""
    post: str
    """The existing post the photo was matched to, and which file's record says so."""


def provenance_fields(found: Provenance) -> dict[str, str]:
    """The fields as a dict (what `asdict` gives, without its deep copy: 10,000 photos)."""
    return {"file": found.file, "metadata": found.metadata, "post": found.post}


def provenance(photo: Photo) -> Provenance:
    return Provenance(file=_upload(photo), metadata=_metadata(photo), post=_post(photo))


def _name(photo: Photo, file_id: int | None) -> str:
    if file_id is None:
        return "?"
    return photo.name_of(file_id) or str(file_id)


def _upload(photo: Photo) -> str:
    if photo.layout is Layout.MASTER:
        if photo.relation_errors:
            return f"none yet: {photo.relation_note}" if photo.relation_note else "none yet"
        return f"{_name(photo, photo.upload_id)}, the master's version"
    return photo.name


def _metadata(photo: Photo) -> str:
    if photo.layout is Layout.MASTER:
        return f"the master {photo.name}"
    if photo.layout is Layout.SINGLE:
        return "its own"
    text = f"the master {_name(photo, photo.master_id)}"
    own = [f for f in TEXT_FIELDS if f not in photo.text_from_master and getattr(photo, f)]
    return f"{text} ({_joined(own)}: the version's own)" if own else text


def _joined(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _post(photo: Photo) -> str:
    if not photo.records:
        return "none yet"
    described = [_record(photo, r) for r in photo.records]
    return "; ".join(dict.fromkeys(described))


def _record(photo: Photo, record: AttributeRecord) -> str:
    ids = ", ".join(
        f"{key} {visible(value) or '(empty)'}"
        for key, value in sorted(record.values.items())
        if key not in RECORD_BOOKKEEPING
    )
    where = "this file's record"
    if record.file_id != photo.id:
        role = "master" if record.file_id == photo.master_id else "version"
        where = f"record on the {role} {_name(photo, record.file_id)}"
    return f"{ids or 'no ids'} ({where})"


def one_line(origin: Provenance) -> str:
    """`uploads X; metadata: Y; post: Z`, for `--dry-run`."""
    return f"uploads {origin.file}; metadata: {origin.metadata}; post: {origin.post}"
