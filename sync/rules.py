"""What to do with each photo: add, update, metadata, delete, error or unchanged.

Pure functions. The rules are the original tool's with its defects fixed:
- `_delete` wins when the photo is posted, even if its metadata is incomplete;
- `_delete` on a photo that was never posted uploads nothing (its flags are cleared);
- `_update`/`_metadata` together with `_delete` is an error, not a crash;
- a photo not yet posted is added whatever its flags say, and the flags are cleared;
- every error of a photo is reported, not only the first;
- file checks (found, format, size) apply only when a file will be uploaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sync.photo import FLAG_DELETE, FLAG_METADATA, FLAG_UPDATE, Photo
from sync.rendering import PostSize

IS_MASTER = "is master"
MISSING_TITLE = "missing title"
MISSING_DESCRIPTION = "missing description"
MISSING_HEADLINE = "missing headline"
MISSING_KEYWORDS = "missing keywords"
MISSING_GENRE = "missing genre"
INVALID_FORMAT = "invalid format"
FILE_TOO_LARGE = "file too large"
FILE_NOT_FOUND = "file not found"
CAPTION_TOO_LONG = "caption too long"
ALT_TEXT_TOO_LONG = "alt text too long"
TITLE_TOO_LONG = "title too long"
TOO_MANY_TAGS = "too many tags"
CONFLICT = "update and delete conflict"


class Action(StrEnum):
    ADD = "add"
    UPDATE = "update"
    METADATA = "metadata"
    DELETE = "delete"
    ERROR = "error"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Checks:
    """What one platform requires of a photo and accepts in a post."""

    require: frozenset[str]
    formats: frozenset[str]
    max_file_bytes: int
    genre_root: str = "Image Characteristics|Genre"
    max_caption_chars: int | None = None
    max_alt_text_chars: int | None = None
    max_tags: int | None = None
    max_title_chars: int | None = None


@dataclass(frozen=True)
class Verdict:
    action: Action
    errors: tuple[str, ...] = ()
    note: str = ""

    @property
    def replace_image(self) -> bool:
        return self.action is Action.UPDATE


def classify(photo: Photo, size: PostSize, checks: Checks) -> Verdict:
    """The action for one photo; total: every photo gets exactly one verdict."""
    deleting = photo.has_flag(FLAG_DELETE)
    changing = photo.has_flag(FLAG_UPDATE) or photo.has_flag(FLAG_METADATA)
    if deleting and changing:
        return Verdict(Action.ERROR, (CONFLICT,))
    if deleting:
        note = "" if photo.on_platform else "never posted: flags cleared, nothing uploaded"
        return Verdict(Action.DELETE, note=note)
    if not photo.on_platform:
        if photo.is_master:
            # The file's own problems do not matter: a version is what should be published.
            return _verdict(Action.ADD, [IS_MASTER, *content_errors(photo, size, checks)])
        errors = content_errors(photo, size, checks) + file_errors(photo, checks)
        return _verdict(Action.ADD, errors)
    if photo.has_flag(FLAG_UPDATE):
        errors = content_errors(photo, size, checks) + file_errors(photo, checks)
        return _verdict(Action.UPDATE, errors)
    if photo.has_flag(FLAG_METADATA):
        return _verdict(Action.METADATA, content_errors(photo, size, checks))
    return Verdict(Action.UNCHANGED)


def _verdict(action: Action, errors: list[str]) -> Verdict:
    if errors:
        return Verdict(Action.ERROR, tuple(sorted(set(errors))))
    return Verdict(action)


def content_errors(photo: Photo, size: PostSize, checks: Checks) -> list[str]:
    """Missing metadata and limits the rendered post would break."""
    missing = {
        "title": (not photo.title.strip(), MISSING_TITLE),
        "description": (not photo.description.strip(), MISSING_DESCRIPTION),
        "headline": (not photo.headline.strip(), MISSING_HEADLINE),
        "keywords": (not photo.keywords, MISSING_KEYWORDS),
        "genre": (not has_genre(photo, checks.genre_root), MISSING_GENRE),
    }
    errors = [
        name for field, (absent, name) in missing.items() if field in checks.require and absent
    ]
    limits = (
        (size.caption_chars, checks.max_caption_chars, CAPTION_TOO_LONG),
        (size.alt_text_chars, checks.max_alt_text_chars, ALT_TEXT_TOO_LONG),
        (size.tags, checks.max_tags, TOO_MANY_TAGS),
        (size.title_chars, checks.max_title_chars, TITLE_TOO_LONG),
    )
    errors += [name for value, limit, name in limits if limit is not None and value > limit]
    return errors


def file_errors(photo: Photo, checks: Checks) -> list[str]:
    """Problems with the file that would be uploaded."""
    errors = []
    if not photo.file_exists:
        errors.append(FILE_NOT_FOUND)
    if photo.file.format.upper() not in {f.upper() for f in checks.formats}:
        errors.append(INVALID_FORMAT)
    if photo.file.size > checks.max_file_bytes:
        errors.append(FILE_TOO_LARGE)
    return errors


def has_genre(photo: Photo, genre_root: str) -> bool:
    prefix = genre_root + "|"
    return any(path.startswith(prefix) for path in photo.categories)
