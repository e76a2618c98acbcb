"""Every user-facing error name (the leaf of `__errors|<name>`) and what fixes it.

The core's names and fix texts are here; each platform contributes its own through its
registry entry (`PlatformSpec.fix_texts`). `fix_for` is what the TUI and reports show;
`registered()` is what a test checks every raised name against.
"""

from __future__ import annotations

from sync.platforms import registry

GENERIC_FIX = "Fix this in IMatch, then rescan (r); the error clears itself."

CORE_FIX_TEXTS: dict[str, str] = {
    "several versions": "This master has several versions the platform could take: put the "
    "one to publish in Socials|<platform> instead of the master.",
    "no version in an allowed format": "This master has versions, but none in a format the "
    "platform takes: export a JPEG version of it.",
    "master and version both assigned": "The master and its version are both in "
    "Socials|<platform>: remove one of them (either works; only one is ever posted).",
    "records on master and version": "The master and its version carry records of two "
    "different posts: keep the record of the post you want (delete that post's twin on the "
    "platform if there is one) and delete the other record in IMatch.",
    "record shared by versions": "The master's record could belong to either of its versions "
    "in Socials|<platform>: copy it to the version that was posted and delete it from the "
    "master, or take the other version out of Socials|<platform>.",
    "flagged but not published": "This photo is in _update or _metadata but was never posted "
    "and is not in Socials|<platform>: add it there to publish it, or remove the flag.",
    "missing title": "Give the photo (or its master) a title in the Metadata panel.",
    "missing description": "Write a description for the photo (or its master).",
    "missing headline": "Add a headline: the platform uses it as the alt text that "
    "describes the image.",
    "missing keywords": "Add at least one keyword to the master.",
    "missing genre": "Assign a category under Image Characteristics|Genre.",
    "invalid format": "Publish a JPEG version of this file (the platform does not take "
    "this format).",
    "file too large": "Export a smaller version (lower resolution or quality) and publish that.",
    "file not found": "The file is missing on disk: relocate it in IMatch or restore it.",
    "caption too long": "Shorten the title, headline or description, or use fewer "
    "keywords: the caption is over the instance's limit.",
    "alt text too long": "Shorten the headline: it is the alt text.",
    "title too long": "Shorten the title.",
    "too many tags": "Remove keywords or genres: the post has more tags than allowed.",
    "update and delete conflict": "The photo is flagged both to change and to delete: "
    "remove it from _update/_metadata or from _delete.",
    "upload rejected": "The platform refused the file: check that it opens and is a "
    "real image, then change it to try again.",
    "attribute record incomplete": "The attribute record lacks the platform's ids (photo_id, "
    "or media_id and status_id): type them in, or delete the record in IMatch to post the "
    "photo anew.",
    "posted by another account": "The post belongs to another account than the one "
    "logged in: log in as that account to change or delete it, or remove the record if "
    "the post is not yours to manage.",
    "record does not match the post": "The attribute record's ids belong to different "
    "posts (edited by hand?): correct the record in IMatch, or remove it.",
    "upload not confirmed": "An earlier upload may have reached the platform: the next "
    "run looks for it first; nothing to do unless this stays for days.",
}


def registered() -> dict[str, str]:
    """Every known error name with its fix text: the core's, then each platform's."""
    return {**CORE_FIX_TEXTS, **registry.fix_texts()}


def fix_for(error_name: str) -> str:
    """A one-sentence instruction; a generic one for names we do not know."""
    return registered().get(error_name, GENERIC_FIX)
