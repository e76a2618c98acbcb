"""What was last published of a photo on a platform, and how a new rendering differs.

A platform's post names its own fields (`published_fields()`: field name -> the text as
published, e.g. `title`, `tags`, `albums`, or `caption`, `alt text`) and the sets it
manages as ours (`owned()`: tags, albums, groups we set). The core never lists a
platform's fields: it stores a digest of each, the text (so a diff can say "was"), the
file's fingerprint and what we own, and compares a new rendering field by field.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

FILE = "file"
"""The changed-field name for the uploaded file (its fingerprint differs)."""


class PublishablePost(Protocol):
    def published_fields(self) -> dict[str, str]:
        """Field name -> its rendered text, in the order a person reads the post."""

    def owned(self) -> dict[str, tuple[str, ...]]:
        """What we set that the user may add to by hand on the platform (tags, albums,
        groups): kind -> values. A three-way merge removes only these."""


def digest(text: str) -> str:
    """A short, stable digest of one field's text."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:20]


@dataclass(frozen=True)
class Published:
    """One photo as last published on one platform."""

    digests: Mapping[str, str]
    """Field name -> digest of its text."""
    shown: Mapping[str, str] = field(default_factory=dict)
    """Field name -> its text as published (for the was / will be diff)."""
    fingerprint: str = ""
    """The uploaded file's fingerprint (size and modification time)."""
    ours: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Tags, albums and groups we set (kind -> values)."""
    source: str = "run"
    """`run` (written when publishing) or `baseline` (recorded without a remote call)."""
    image: str = ""
    """A digest of the picture that metadata written into the file does not change
    (sync/file_identity.py); "" when unknown."""

    def owns(self, kind: str) -> tuple[str, ...]:
        return tuple(self.ours.get(kind, ()))


def fields_of(post: Any) -> dict[str, str]:
    """The post's published fields; a post that names none has none (never compared)."""
    method = getattr(post, "published_fields", None)
    return dict(method()) if callable(method) else {}


def snapshot(post: Any, fingerprint: str, source: str = "run", image: str = "") -> Published:
    """What publishing `post` (with the file of `fingerprint` and picture digest `image`)
    leaves on the platform."""
    texts = fields_of(post)
    owned = getattr(post, "owned", None)
    ours = {kind: tuple(values) for kind, values in (owned() if callable(owned) else {}).items()}
    return Published(
        digests={name: digest(text) for name, text in texts.items()},
        shown=texts,
        fingerprint=fingerprint,
        ours=ours,
        source=source,
        image=image,
    )


def changed_fields(
    previous: Published,
    post: Any,
    fingerprint: str,
    image_of: Callable[[], str] | None = None,
) -> tuple[str, ...]:
    """The fields whose rendering differs from what was published, then `file` when the
    file's fingerprint does and its picture too (`image_of()` computes the picture digest,
    asked only then: metadata IMatch wrote into the file is not a new image). A field the
    platform did not have before counts as changed only when it has text now (a new kind
    of field must not flag every photo)."""
    changed = []
    for name, text in fields_of(post).items():
        was = previous.digests.get(name)
        if was is None:
            if text:
                changed.append(name)
        elif was != digest(text):
            changed.append(name)
    if fingerprint and previous.fingerprint and fingerprint != previous.fingerprint:
        same_picture = bool(previous.image) and image_of is not None
        if not (same_picture and image_of is not None and image_of() == previous.image):
            changed.append(FILE)
    return tuple(changed)


def text_fields_differ(previous: Published, post: Any) -> set[str]:
    """The post's fields that differ from `previous` (the file left out)."""
    return {name for name in changed_fields(previous, post, "") if name != FILE}
