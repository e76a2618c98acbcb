"""The JSON pixelfed answers with: its account, media and status transformers.

Reads of a status give the Mastodon-API shape (`StatusStatelessTransformer` through
`StatusService::getMastodon`); an edit answers pixelfed's own entity (`pf_type`,
`shortcode`, `content_text`). Sources are in `sandbox/FIDELITY.md`.
"""

from __future__ import annotations

from typing import Any

from sandbox.mastodon_api.answers import iso_time, original_meta
from sandbox.pixelfed_state import Account, Media, PixelfedState, Status

BLURHASH = "U4Rfzg~q00009F00IU-;00%M%M%M00%M%M00"
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif"}
_PIXELFED_ONLY_MEDIA_KEYS = (
    "optimized_url",
    "license",
    "is_nsfw",
    "orientation",
    "filter_name",
    "filter_class",
    "mime",
)


def account_json(
    state: PixelfedState, account: Account, base: str, full: bool = False
) -> dict[str, Any]:
    """`AccountTransformer`; `full` adds what pixelfed's own entity (an edit's answer) has."""
    url = f"{base}/{account.username}"
    avatar = f"{base}/storage/avatars/default.jpg"
    body: dict[str, Any] = {
        "id": account.id,
        "username": account.username,
        "acct": account.username,
        "display_name": account.display_name,
        "discoverable": True,
        "locked": account.is_private,
        "followers_count": 0,
        "following_count": 0,
        "statuses_count": sum(
            1 for s in state.statuses.values() if s.account_id == account.id and not s.deleted
        ),
        "note": "",
        "url": url,
        "avatar": avatar,
        "avatar_static": avatar,
        "header": f"{base}/storage/headers/missing.png",
        "header_static": f"{base}/storage/headers/missing.png",
        "created_at": iso_time(account.created_at),
        "bot": False,
        "emojis": [],
        "fields": [],
        "last_status_at": None,
    }
    if full:
        body.update({"local": True, "is_admin": False, "website": None, "pronouns": []})
    return body


def media_json(
    media: Media, base: str, in_status: bool = False, processed: bool = True
) -> dict[str, Any]:
    """MediaTransformer's shape. An upload's answer has `meta: null`: the dimensions
    are only known once the queued image job has run (`processed`)."""
    extension = EXTENSIONS.get(media.mime, "bin")
    version = int(media.created_at)
    path = f"{base}/storage/m/_v2/{media.account_id}/{media.id}"
    meta = None
    if processed and media.width and media.height:
        meta = {"focus": {"x": 0, "y": 0}, "original": original_meta(media.width, media.height)}
    body: dict[str, Any] = {
        "id": media.id,
        "type": "image",
        "url": f"{path}.{extension}?v={version}",
        "remote_url": None,
        "preview_url": f"{path}_thumb.jpg?v={version}",
        "optimized_url": f"{path}.{extension}",
        "text_url": None,
        "meta": meta,
        "description": media.description,
        "license": None,
        "is_nsfw": False,
        "orientation": _orientation(media),
        "filter_name": None,
        "filter_class": None,
        "mime": media.mime,
        "blurhash": BLURHASH,
    }
    if in_status:
        for key in _PIXELFED_ONLY_MEDIA_KEYS:
            body.pop(key)
        body["type"] = media.mime.split("/")[0]
    return body


def status_json(
    state: PixelfedState, status: Status, base: str, pixelfed_entity: bool = False
) -> dict[str, Any]:
    """`StatusStatelessTransformer` as the Mastodon API gives it; `pixelfed_entity` is
    pixelfed's own shape, which an edit answers with."""
    account = state.accounts[status.account_id]
    url = f"{base}/p/{account.username}/{status.id}"
    attachments = [
        media_json(state.media[m], base, in_status=not pixelfed_entity)
        for m in status.media_ids
        if m in state.media
    ]
    body: dict[str, Any] = {
        "id": status.id,
        "uri": url,
        "url": url,
        "content": status.content,
        "created_at": iso_time(status.created_at),
        "visibility": status.visibility,
        "sensitive": status.sensitive,
        "spoiler_text": status.spoiler_text,
        "media_attachments": attachments,
        "account": account_json(state, account, base, full=pixelfed_entity),
        "tags": [
            {"name": t, "url": f"{base}/discover/tags/{t.lower()}?src=hash"} for t in status.tags
        ],
        "mentions": [],
        "emojis": [],
        "in_reply_to_id": status.in_reply_to_id,
        "in_reply_to_account_id": None,
        "reblog": None,
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "favourited": False,
        "reblogged": False,
        "bookmarked": False,
        "muted": False,
        # StatusStatelessTransformer: no `card` or `pinned`, and no language.
        "language": None,
        "application": {"name": "web", "website": None},
        "poll": None,
        "edited_at": iso_time(status.edited_at) if status.edited_at else None,
    }
    if pixelfed_entity:
        body.update(
            {
                "pf_type": _pf_type(status),
                "shortcode": _base36(int(status.id)),
                "content_text": status.caption or "",
                "local": True,
            }
        )
    return body


def _orientation(media: Media) -> str | None:
    if not media.width or not media.height:
        return None
    if media.width == media.height:
        return "square"
    return "landscape" if media.width > media.height else "portrait"


def _pf_type(status: Status) -> str:
    if len(status.media_ids) > 1:
        return "photo:album"
    return "photo" if status.media_ids else "text"


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while number:
        number, remainder = divmod(number, 36)
        text = digits[remainder] + text
    return text or "0"
