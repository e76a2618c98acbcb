"""What to do with each photo: add, update, metadata, delete, error or unchanged.

Pure functions. The rules are the original tool's with its defects fixed (DESIGN.md
section 4):
- only direct members of `Socials|<platform>` are ever published; a flag acts only on a
  photo that is on the platform (a record on the file or on a master/version relative);
- `_delete` wins when the photo is posted, even if its metadata is incomplete;
- `_delete` on a photo that was never posted uploads nothing (its flags are cleared);
- `_update`/`_metadata` on a photo never posted and not in `Socials|<platform>` is an
  error that says to add it there or remove the flag;
- `_update`/`_metadata` together with `_delete` is an error, not a crash;
- a record without its remote id, or records of different posts on related files, is an
  error found here, at planning, never an unnoticed "already posted";
- a photo not yet posted is added whatever its flags say, and the flags are cleared;
- every error of a photo is reported, not only the first;
- file checks (found, format, size) apply only when a file will be uploaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from imatch.models import AttributeRecord
from sync.error_names import (
    ALT_TEXT_TOO_LONG,
    BOTH_ASSIGNED,
    CAPTION_TOO_LONG,
    CONFLICT,
    FILE_NOT_FOUND,
    FILE_TOO_LARGE,
    FLAGGED_NOT_PUBLISHED,
    INVALID_FORMAT,
    MISSING_DESCRIPTION,
    MISSING_GENRE,
    MISSING_HEADLINE,
    MISSING_KEYWORDS,
    MISSING_TITLE,
    NO_USABLE_VERSION,
    RECORD_INCOMPLETE,
    RECORDS_ON_RELATIVES,
    SEVERAL_VERSIONS,
    SHARED_RECORD,
    TITLE_TOO_LONG,
    TOO_MANY_TAGS,
)
from sync.limit_details import MEASURES
from sync.photo import FLAG_DELETE, FLAG_METADATA, FLAG_UPDATE, Photo
from sync.published import FILE
from sync.rendering import PostSize
from sync.visible_text import visible

ERROR_NAMES = (
    MISSING_TITLE,
    MISSING_DESCRIPTION,
    MISSING_HEADLINE,
    MISSING_KEYWORDS,
    MISSING_GENRE,
    INVALID_FORMAT,
    FILE_TOO_LARGE,
    FILE_NOT_FOUND,
    CAPTION_TOO_LONG,
    ALT_TEXT_TOO_LONG,
    TITLE_TOO_LONG,
    TOO_MANY_TAGS,
    CONFLICT,
    RECORD_INCOMPLETE,
    RECORDS_ON_RELATIVES,
    FLAGGED_NOT_PUBLISHED,
    SEVERAL_VERSIONS,
    NO_USABLE_VERSION,
    BOTH_ASSIGNED,
    SHARED_RECORD,
)
"""Every error name planning can give a photo."""
CHANGED_FILE = FILE
"""The changed-field name of the uploaded file."""
RECORD_ERRORS = frozenset({RECORD_INCOMPLETE, RECORDS_ON_RELATIVES, SHARED_RECORD})
"""Errors that leave it unknown which post the photo is: nothing may act on it."""
NOTE_CLEARED = "never posted: flags cleared, nothing uploaded"
NOTE_FLAGGED = (
    "never posted and not in the platform's Socials category: add it there to publish it, "
    "or remove the _update/_metadata flag"
)


class Action(StrEnum):
    ADD = "add"
    UPDATE = "update"
    METADATA = "metadata"
    DELETE = "delete"
    ERROR = "error"
    CHANGED = "changed"
    """Posted, not flagged, and its rendered post or file differs from what was published."""
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Checks:
    """What one platform requires of a photo and accepts in a post."""

    require: frozenset[str]
    formats: frozenset[str]
    """The IMatch formats the platform takes, upper-case (`checks_for` makes them so)."""
    max_file_bytes: int
    genre_root: str = "Image Characteristics|Genre"
    max_caption_chars: int | None = None
    max_alt_text_chars: int | None = None
    max_tags: int | None = None
    max_title_chars: int | None = None
    record_keys: tuple[str, ...] = ()
    """Attribute names that identify a post (e.g. `photo_id`); empty: not checked."""


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    errors: tuple[str, ...] = ()
    note: str = ""
    changed: tuple[str, ...] = ()
    """For `changed`: the fields that differ from what was published (`file`: the file)."""

    @property
    def replace_image(self) -> bool:
        return self.action is Action.UPDATE or (
            self.action is Action.CHANGED and CHANGED_FILE in self.changed
        )


def classify(photo: Photo, size: PostSize, checks: Checks) -> Verdict:
    """The action for one photo; total: every photo gets exactly one verdict."""
    deleting = photo.has_flag(FLAG_DELETE)
    changing = photo.has_flag(FLAG_UPDATE) or photo.has_flag(FLAG_METADATA)
    unsure = record_errors(photo, checks)
    if unsure:
        # Which post this photo is cannot be told: nothing may be uploaded, changed or
        # deleted until the records are put right.
        extra = [CONFLICT] if deleting and changing else []
        return _verdict(Action.ERROR, unsure + extra, photo.relation_note)
    if deleting and changing:
        return Verdict(Action.ERROR, (CONFLICT,))
    if deleting:
        return Verdict(Action.DELETE, note="" if photo.on_platform else NOTE_CLEARED)
    if not photo.on_platform:
        if not photo.direct:
            # A stray flag never publishes anything.
            if changing:
                return Verdict(Action.ERROR, (FLAGGED_NOT_PUBLISHED,), NOTE_FLAGGED)
            return _PLAIN_VERDICTS[Action.UNCHANGED]
        return _verdict(Action.ADD, upload_errors(photo, size, checks), photo.relation_note)
    if photo.has_flag(FLAG_UPDATE):
        return _verdict(Action.UPDATE, upload_errors(photo, size, checks), photo.relation_note)
    if photo.has_flag(FLAG_METADATA):
        return _verdict(Action.METADATA, content_errors(photo, size, checks))
    return _PLAIN_VERDICTS[Action.UNCHANGED]


def classify_changed(
    photo: Photo, size: PostSize, checks: Checks, changed: tuple[str, ...]
) -> Verdict:
    """The verdict of a posted, unflagged photo whose post or file differs from what was
    published: `changed` with those fields, or the errors that stop it being published
    (file checks only when its new file would be uploaded: replaced, or reposted where
    the image cannot be replaced, and a repost deletes the post first)."""
    errors = content_errors(photo, size, checks)
    if CHANGED_FILE in changed:
        errors += file_errors(photo, checks)
    if errors:
        return Verdict(Action.ERROR, tuple(sorted(set(errors))))
    return Verdict(Action.CHANGED, changed=changed)


_PLAIN_VERDICTS = {action: Verdict(action) for action in Action}
"""One verdict object per action without errors or notes, shared by all photos."""


def _verdict(action: Action, errors: list[str], note: str = "") -> Verdict:
    if errors:
        return Verdict(Action.ERROR, tuple(sorted(set(errors))), note)
    return _PLAIN_VERDICTS[action]


def upload_errors(photo: Photo, size: PostSize, checks: Checks) -> list[str]:
    """Everything that stops the photo's file from being uploaded with its post."""
    if photo.relation_errors:
        # Which file to upload is not decided: the master's own file does not matter.
        return [*photo.relation_errors, *content_errors(photo, size, checks)]
    return content_errors(photo, size, checks) + file_errors(photo, checks)


def record_errors(photo: Photo, checks: Checks) -> list[str]:
    """Records that do not say which single post the photo is."""
    errors = [e for e in photo.relation_errors if e in RECORD_ERRORS]
    if not photo.records or not checks.record_keys:
        return errors
    if any(not all(_value(r, key) for key in checks.record_keys) for r in photo.records):
        errors.append(RECORD_INCOMPLETE)
        return errors
    posts_by_file: dict[int, set[tuple[str, ...]]] = {}
    for record in photo.records:
        post = tuple(_value(record, key) for key in checks.record_keys)
        posts_by_file.setdefault(record.file_id, set()).add(post)
    if len(posts_by_file) > 1 and len(set().union(*posts_by_file.values())) > 1:
        errors.append(RECORDS_ON_RELATIVES)
    return errors


def _value(record: AttributeRecord, key: str) -> str:
    """A record's remote id; one that shows nothing (typed in by hand as a zero-width or
    no-break space) is as missing as an empty one."""
    return visible(str(record.values.get(key, "")))


def content_errors(photo: Photo, size: PostSize, checks: Checks) -> list[str]:
    """Missing metadata and limits the rendered post would break."""
    # Only what is required is looked at (in this order, so the errors read the same).
    errors = [
        name
        for field, name in _REQUIRED_FIELDS
        if field in checks.require and _absent(photo, field, checks)
    ]
    return errors + limit_errors(size, checks)


def limit_errors(size: PostSize, checks: Checks) -> list[str]:
    """The platform's limits a post of this size would break (`Checks` names its limits
    as `Limits` does, see `limit_details.MEASURES`)."""
    errors = []
    for name, (measured, limited, _) in MEASURES.items():
        limit = getattr(checks, limited)
        if limit is not None and getattr(size, measured) > limit:
            errors.append(name)
    return errors


_REQUIRED_FIELDS = (
    ("title", MISSING_TITLE),
    ("description", MISSING_DESCRIPTION),
    ("headline", MISSING_HEADLINE),
    ("keywords", MISSING_KEYWORDS),
    ("genre", MISSING_GENRE),
)


def _absent(photo: Photo, field: str, checks: Checks) -> bool:
    if field == "keywords":
        return not photo.keywords
    if field == "genre":
        return not has_genre(photo, checks.genre_root)
    text: str = getattr(photo, field)
    return not text.strip()


def file_errors(photo: Photo, checks: Checks) -> list[str]:
    """Problems with the file that would be uploaded."""
    errors = []
    if not photo.file_exists:
        errors.append(FILE_NOT_FOUND)
    if photo.file.format.upper() not in checks.formats:
        errors.append(INVALID_FORMAT)
    if photo.file.size > checks.max_file_bytes:
        errors.append(FILE_TOO_LARGE)
    return errors


def has_genre(photo: Photo, genre_root: str) -> bool:
    prefix = genre_root + "|"
    return any(path.startswith(prefix) for path in photo.categories)
