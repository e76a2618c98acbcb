"""What a photographer does in IMatch to clear each error name."""

from __future__ import annotations

FIXES: dict[str, str] = {
    "is master": "This file has versions: put one of its versions in the Socials "
    "category instead of the master.",
    "missing title": "Give the photo (or its master) a title in the Metadata panel.",
    "missing description": "Write a description for the photo (or its master).",
    "missing headline": "Add a headline: pixelfed uses it as the alt text that describes "
    "the image.",
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
    "upload limit reached": "Your account's upload limit is reached: wait, or upgrade the account.",
    "attribute record incomplete": "The attribute record lacks the platform's ids: fix "
    "or remove the record in IMatch.",
    "photo not found on flickr": "The post no longer exists: remove the attribute "
    "record so it is added again.",
}


def fix_for(error_name: str) -> str:
    """A one-sentence instruction; a generic one for names we do not know."""
    return FIXES.get(error_name, "Fix this in IMatch, then rescan (r); the error clears itself.")
