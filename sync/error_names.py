"""The one registry of user-facing error names (the leaf of `__errors|<name>`).

Each name is declared once, as a `NamedError`: the name, what fixes it, and whether it is
permanent. A permanent error is remembered against the photo (the state store) until
the photo changes or succeeds, and an add it refused is not sent again meanwhile; one
that is not permanent (the file was open in another program, a setting is wrong) is
shown for the run that found it and tried again next run. The core's names are here;
each platform declares its own in its package's `errors` module and contributes them
through its registry entry (`PlatformSpec.error_names`). A name every platform can give
(`upload rejected`) is the core's: a platform never declares it again. Every other
module imports the constants; a test checks that no name is spelled out anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from sync.platforms import registry


@dataclass(frozen=True)
class NamedError:
    """One error name, its fix text, and whether the photo keeps failing until fixed."""

    name: str
    fix: str
    permanent: bool = True
    """True: remembered against the photo until it changes (fixed in IMatch) or succeeds.
    False: about this moment or a setting: shown for this run, tried again next run."""


GENERIC_FIX = "Fix this in IMatch, then rescan (r); the error clears itself."

# --- found at planning (sync/photo.py, sync/rules.py) ---------------------------------------

SEVERAL_VERSIONS = "several versions"
NO_USABLE_VERSION = "no version in an allowed format"
BOTH_ASSIGNED = "master and version both assigned"
RECORDS_ON_RELATIVES = "records on master and version"
SHARED_RECORD = "record shared by versions"
FLAGGED_NOT_PUBLISHED = "flagged but not published"
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
RECORD_INCOMPLETE = "attribute record incomplete"

# --- found while acting, on any platform ----------------------------------------------------

UPLOAD_REJECTED = "upload rejected"
FILE_NOT_READABLE = "file not readable"
INVALID_VISIBILITY = "invalid visibility"
POSTED_BY_ANOTHER_ACCOUNT = "posted by another account"
RECORD_MISMATCH = "record does not match the post"
UPLOAD_NOT_CONFIRMED = "upload not confirmed"

CORE_ERRORS: tuple[NamedError, ...] = (
    NamedError(
        SEVERAL_VERSIONS,
        "This master has several versions the platform could take: put the one to publish "
        "in Socials|<platform> instead of the master.",
    ),
    NamedError(
        NO_USABLE_VERSION,
        "This master has versions, but none in a format the platform takes: export a JPEG "
        "version of it.",
    ),
    NamedError(
        BOTH_ASSIGNED,
        "The master and its version are both in Socials|<platform>: remove one of them "
        "(either works; only one is ever posted).",
    ),
    NamedError(
        RECORDS_ON_RELATIVES,
        "The master and its version carry records of two different posts: keep the record "
        "of the post you want (delete that post's twin on the platform if there is one) and "
        "delete the other record in IMatch.",
    ),
    NamedError(
        SHARED_RECORD,
        "The master's record could belong to either of its versions in Socials|<platform>: "
        "copy it to the version that was posted and delete it from the master, or take the "
        "other version out of Socials|<platform>.",
    ),
    NamedError(
        FLAGGED_NOT_PUBLISHED,
        "This photo is in _update or _metadata but was never posted and is not in "
        "Socials|<platform>: add it there to publish it, or remove the flag.",
    ),
    NamedError(MISSING_TITLE, "Give the photo (or its master) a title in the Metadata panel."),
    NamedError(MISSING_DESCRIPTION, "Write a description for the photo (or its master)."),
    NamedError(
        MISSING_HEADLINE,
        "Add a headline: the platform uses it as the alt text that describes the image.",
    ),
    NamedError(MISSING_KEYWORDS, "Add at least one keyword to the master."),
    NamedError(MISSING_GENRE, "Assign a category under Image Characteristics|Genre."),
    NamedError(
        INVALID_FORMAT,
        "Publish a JPEG version of this file (the platform does not take this format).",
    ),
    NamedError(
        FILE_TOO_LARGE,
        "Export a smaller version (fewer pixels, lower resolution or quality) and publish "
        "that: the platform limits file size (and some, pixel count).",
    ),
    NamedError(FILE_NOT_FOUND, "The file is missing on disk: relocate it in IMatch or restore it."),
    NamedError(
        CAPTION_TOO_LONG,
        "Shorten the title, headline or description, or use fewer keywords: the caption is "
        "over the instance's limit.",
    ),
    NamedError(ALT_TEXT_TOO_LONG, "Shorten the headline: it is the alt text."),
    NamedError(TITLE_TOO_LONG, "Shorten the title."),
    NamedError(TOO_MANY_TAGS, "Remove keywords or genres: the post has more tags than allowed."),
    NamedError(
        CONFLICT,
        "The photo is flagged both to change and to delete: remove it from "
        "_update/_metadata or from _delete.",
    ),
    NamedError(
        RECORD_INCOMPLETE,
        "The attribute record lacks the platform's ids (photo_id, or media_id and "
        "status_id): type them in, or delete the record in IMatch to post the photo anew.",
    ),
    NamedError(
        UPLOAD_REJECTED,
        "The platform refused the file: check that it opens and is a real image, then "
        "change it to try again.",
    ),
    NamedError(
        FILE_NOT_READABLE,
        "The file exists but cannot be read (permissions, or it is open in another "
        "program): make it readable; the next run tries again.",
        permanent=False,
    ),
    NamedError(
        INVALID_VISIBILITY,
        "The platform does not take the visibility set for it: set the IMatch application "
        "variable <platform>_visibility (or config.toml [<platform>] visibility) to one it "
        "accepts (public, unlisted or private; some platforms also direct).",
        permanent=False,
    ),
    NamedError(
        POSTED_BY_ANOTHER_ACCOUNT,
        "The post belongs to another account than the one logged in: log in as that "
        "account to change or delete it, or remove the record if the post is not yours to "
        "manage.",
    ),
    NamedError(
        RECORD_MISMATCH,
        "The attribute record's ids belong to different posts (edited by hand?): correct "
        "the record in IMatch, or remove it.",
    ),
    NamedError(
        UPLOAD_NOT_CONFIRMED,
        "An earlier upload may have reached the platform: the next run looks for it "
        "first; nothing to do unless this stays for days.",
        permanent=False,
    ),
)

CORE_FIX_TEXTS: dict[str, str] = {entry.name: entry.fix for entry in CORE_ERRORS}


_known: dict[tuple[int, ...], dict[str, NamedError]] = {}


def entries() -> dict[str, NamedError]:
    """Every known error name: the core's, then each platform's. A name declared twice
    is a programming error (its fix text or permanence could differ by platform)."""
    specs = registry.specs()
    key = tuple(id(spec) for spec in specs)
    if key not in _known:
        known = {entry.name: entry for entry in CORE_ERRORS}
        for spec in specs:
            for entry in spec.error_names:
                if entry.name in known:
                    raise ValueError(f"error name {entry.name!r} of {spec.name} is declared twice")
                known[entry.name] = entry
        _known.clear()
        _known[key] = known
    return _known[key]


def registered() -> dict[str, str]:
    """Every known error name with its fix text."""
    return {name: entry.fix for name, entry in entries().items()}


def fix_for(error_name: str) -> str:
    """A one-sentence instruction; a generic one for names we do not know."""
    entry = entries().get(error_name)
    return entry.fix if entry is not None else GENERIC_FIX


def is_permanent(error_name: str) -> bool:
    """Whether the error is remembered against the photo until it changes. A name the
    registry does not know (never raised by this version) is kept: forgetting it could
    send a refused upload again."""
    entry = entries().get(error_name)
    return entry.permanent if entry is not None else True
