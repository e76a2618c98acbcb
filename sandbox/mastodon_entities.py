"""The JSON Mastodon answers with: its serializers for accounts, media attachments,
statuses and the instance (v1 and v2), with the limits a client reads from them.

pixelfed's transformers are in `sandbox/pixelfed_entities.py`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from sandbox.mastodon_api.answers import (
    POLLS,
    base_url,
    iso_time,
    original_meta,
    statuses_configuration,
)
from sandbox.mastodon_state import (
    AUDIO_MIME_TYPES,
    IMAGE_MIME_TYPES,
    VERSION,
    VIDEO_MIME_TYPES,
    Account,
    MastodonSettings,
    MastodonState,
    Media,
    Status,
)
from sandbox.mastodon_text import hashtags, render_content

BLURHASH = "UFBWY:8_0Jxu%MRjWBae00xu~qRjM{WBt7of"


def instance_v1(
    request: Request, settings: MastodonSettings, stats: dict[str, int]
) -> dict[str, Any]:
    """`REST::V1::InstanceSerializer` (the only instance document before Mastodon 4.0)."""
    s = settings
    return {
        "uri": request.url.netloc,
        "title": s.instance_title,
        "short_description": "",
        "description": "A simulated Mastodon server",
        "email": s.contact_email,
        "version": VERSION,
        "urls": {"streaming_api": f"wss://{request.url.netloc}"},
        "stats": stats,
        "thumbnail": f"{base_url(request)}/packs/media/images/preview.png",
        "languages": ["en"],
        "registrations": False,
        "approval_required": False,
        "invites_enabled": False,
        "configuration": {
            "accounts": {"max_featured_tags": 10},
            "statuses": statuses_configuration(s.max_characters, s.max_media_attachments),
            "media_attachments": _media_configuration(s, v2=False),
            "polls": POLLS,
        },
        "contact_account": None,
        "rules": [],
    }


def instance_v2(request: Request, settings: MastodonSettings, users: int) -> dict[str, Any]:
    """`REST::InstanceSerializer`: the limits (characters, media, alt-text length) a client
    reads before it posts."""
    s = settings
    return {
        "domain": request.url.netloc,
        "title": s.instance_title,
        "version": VERSION,
        "source_url": "https://github.com/mastodon/mastodon",
        "description": "A simulated Mastodon server",
        "usage": {"users": {"active_month": users}},
        "thumbnail": {"url": f"{base_url(request)}/packs/media/images/preview.png"},
        "languages": ["en"],
        "configuration": {
            "urls": {"streaming": f"wss://{request.url.netloc}", "status": None},
            "vapid": {"public_key": ""},
            "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
            "statuses": statuses_configuration(s.max_characters, s.max_media_attachments),
            "media_attachments": _media_configuration(s, v2=True),
            "polls": POLLS,
            "translation": {"enabled": False},
        },
        "registrations": {"enabled": False, "approval_required": False, "message": None},
        "api_versions": {"mastodon": 6},
        "contact": {"email": s.contact_email, "account": None},
        "rules": [],
    }


def _media_configuration(s: MastodonSettings, v2: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "supported_mime_types": [*IMAGE_MIME_TYPES, *VIDEO_MIME_TYPES, *AUDIO_MIME_TYPES],
        "image_size_limit": s.image_size_limit,
        "image_matrix_limit": s.image_matrix_limit,
        "video_size_limit": 99 * 1024 * 1024,
        "video_frame_rate_limit": 120,
        "video_matrix_limit": 8_294_400,
    }
    if v2 and s.reports_description_limit:
        body["description_limit"] = s.description_limit
    return body


def account_json(state: MastodonState, account: Account, base: str) -> dict[str, Any]:
    """`REST::AccountSerializer`."""
    url = f"{base}/@{account.username}"
    created = datetime.fromtimestamp(account.created_at, UTC).strftime("%Y-%m-%dT00:00:00.000Z")
    # One pass: every status JSON embeds its account, so this runs once per status shown.
    live = 0
    last: float | None = None
    for status in state.statuses.values():
        if status.account_id == account.id and not status.deleted:
            live += 1
            if last is None or status.created_at > last:
                last = status.created_at
    return {
        "id": account.id,
        "username": account.username,
        "acct": account.username,
        "display_name": account.display_name,
        "locked": False,
        "bot": False,
        "discoverable": True,
        "indexable": False,
        "group": False,
        "created_at": created,
        "note": "",
        "url": url,
        "uri": f"{base}/users/{account.username}",
        "avatar": f"{base}/avatars/original/missing.png",
        "avatar_static": f"{base}/avatars/original/missing.png",
        "header": f"{base}/headers/original/missing.png",
        "header_static": f"{base}/headers/original/missing.png",
        "followers_count": 0,
        "following_count": 0,
        "statuses_count": live,
        "last_status_at": datetime.fromtimestamp(last, UTC).strftime("%Y-%m-%d") if last else None,
        "hide_collections": None,
        "noindex": False,
        "emojis": [],
        "roles": [],
        "fields": [],
    }


def media_json(media: Media, base: str) -> dict[str, Any]:
    """`REST::MediaAttachmentSerializer`: `url` is null until processing is complete."""
    partition = "/".join(media.id[i : i + 3] for i in range(0, min(len(media.id), 18), 3))
    extension = {"image/png": "png", "image/gif": "mp4", "image/webp": "webp"}.get(
        media.mime, "jpg"
    )
    path = f"{base}/system/media_attachments/files/{partition}"
    meta: dict[str, Any] | None = None
    if media.width and media.height:
        original = original_meta(media.width, media.height)
        meta = {"original": original, "small": dict(original)}
        if media.focus is not None:
            meta["focus"] = {"x": media.focus[0], "y": media.focus[1]}
    processed = media.processing == "complete"
    return {
        "id": media.id,
        "type": media.type,
        "url": f"{path}/original/{media.sha256[:16]}.{extension}" if processed else None,
        "preview_url": f"{path}/small/{media.sha256[:16]}.{extension}",
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": meta,
        "description": media.description,
        "blurhash": BLURHASH,
    }


def status_json(
    state: MastodonState, status: Status, base: str, viewer: Account | None
) -> dict[str, Any]:
    """`REST::StatusSerializer`; what only a signed-in viewer or the author sees included."""
    account = state.accounts[status.account_id]
    own = viewer is not None and viewer.id == account.id
    body: dict[str, Any] = {
        "id": status.id,
        "created_at": iso_time(status.created_at),
        "in_reply_to_id": status.in_reply_to_id,
        "in_reply_to_account_id": None,
        "sensitive": status.sensitive,
        "spoiler_text": status.spoiler_text,
        "visibility": status.visibility,
        "language": status.language,
        "uri": f"{base}/users/{account.username}/statuses/{status.id}",
        "url": f"{base}/@{account.username}/{status.id}",
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "quotes_count": 0,
        "edited_at": iso_time(status.edited_at) if status.edited_at else None,
        "content": render_content(status.text, base),
        "reblog": None,
        "application": {"name": "Web", "website": None},
        "account": account_json(state, account, base),
        "media_attachments": [
            media_json(state.media[m], base) for m in status.media_ids if m in state.media
        ],
        "mentions": [],
        "tags": [
            {"name": t.lower(), "url": f"{base}/tags/{t.lower()}"} for t in hashtags(status.text)
        ],
        "emojis": [],
        "quote": None,
        "card": None,
        "poll": None,
    }
    if viewer is not None:
        body.update({"favourited": False, "reblogged": False, "muted": False})
        body.update({"bookmarked": False, "filtered": []})
    if own and status.visibility in ("public", "unlisted", "private"):
        body["pinned"] = False
    return body
