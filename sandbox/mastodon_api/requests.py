"""What both servers read from a request alike: the bearer token, JSON bodies, uploaded
files and their real type, and the request log's view of the parameters.

How form fields become parameters is each server's own (PHP's rules for pixelfed, Rails'
for Mastodon): see `sandbox/pixelfed_requests.py` and `sandbox/mastodon_requests.py`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

LOGGED_SECRETS = frozenset({"code", "refresh_token", "client_secret", "access_token"})
"""Parameters the request log shows as `***` (beside `sandbox.faults.SECRET_PARAMS`)."""
REDACTED = "***"


@dataclass
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


def digest(token: str) -> str:
    """How a token is kept: its sha256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def bearer_token(headers: Mapping[bytes, bytes]) -> str | None:
    """The token of an `Authorization: Bearer ...` header (raw ASGI headers), or None."""
    scheme, _, value = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
    token = value.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def parse_json_body(body: bytes) -> dict[str, Any]:
    """A JSON object body; anything else (bad JSON, an array) reads as no parameters."""
    try:
        parsed = json.loads(body or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def loggable_params(params: Mapping[str, Any], idempotency_key: str | None) -> dict[str, str]:
    """The parameters as the request log shows them: secrets redacted, files summarised,
    lists joined with commas, and the `Idempotency-Key` header beside them."""
    loggable: dict[str, str] = {}
    for key, value in params.items():
        if key in LOGGED_SECRETS:
            loggable[key] = REDACTED
        elif isinstance(value, UploadedFile):
            loggable[key] = f"<{value.filename}: {len(value.data)} bytes>"
        elif isinstance(value, list):
            loggable[key] = ",".join(str(v) for v in value)
        else:
            loggable[key] = str(value)
    if idempotency_key:
        loggable["Idempotency-Key"] = idempotency_key
    return loggable


def sniff_mime(data: bytes) -> str:
    """The MIME type from magic bytes, as PHP's finfo and the `file` utility report it."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "image/heic"
    if data[4:12] == b"ftypavif":
        return "image/avif"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain" if data else "application/x-empty"


def image_size(data: bytes, verify: bool = False) -> tuple[int, int] | None:
    """Width and height from the image's header, or None when it is no readable image.

    `verify` also checks the file's structure (Mastodon's FastImage and Paperclip refuse
    a broken file; pixelfed reads the size in a queued job and only needs the header).
    """
    from io import BytesIO

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(BytesIO(data)) as image:
            if verify:
                image.verify()
            return image.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return None
    except Image.DecompressionBombError:
        return (1 << 16, 1 << 16)
