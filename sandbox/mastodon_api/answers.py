"""What both servers answer alike: JSON error bodies `{"error": ...}` and the entity
pieces the Mastodon API fixes (times, the statuses and polls configuration, image
dimensions). The entities themselves differ and are rendered by each server.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

POLLS = {
    "max_options": 4,
    "max_characters_per_option": 50,
    "min_expiration": 300,
    "max_expiration": 2629746,
}
CHARACTERS_RESERVED_PER_URL = 23


class ApiAnswer(Exception):
    """A JSON answer a handler gives by raising: sent as it is, status, body and headers."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(json.dumps(body))
        self.status = status
        self.body = body
        self.headers = headers or {}


def error_answer(status: int, message: str, headers: dict[str, str] | None = None) -> ApiAnswer:
    """The Mastodon API's error shape: `{"error": message}`."""
    return ApiAnswer(status, {"error": message}, headers)


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def iso_time(timestamp: float) -> str:
    """`created_at` as both servers write it: RFC 3339 with milliseconds and `Z`."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def statuses_configuration(max_characters: int, max_media_attachments: int) -> dict[str, int]:
    """The instance's `configuration.statuses`."""
    return {
        "max_characters": max_characters,
        "max_media_attachments": max_media_attachments,
        "characters_reserved_per_url": CHARACTERS_RESERVED_PER_URL,
    }


def original_meta(width: int, height: int) -> dict[str, Any]:
    """A media attachment's `meta.original`."""
    return {"width": width, "height": height, "size": f"{width}x{height}", "aspect": width / height}
