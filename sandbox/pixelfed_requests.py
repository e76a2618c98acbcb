"""Request parameters as pixelfed's PHP and Laravel read them.

PHP builds `$_GET`/`$_POST` with its own rules for repeated keys and does not parse a
multipart body on PUT (reference platform-apis.md C6); Laravel's validator words its
messages in its own way. `read_params` is the pixelfed simulator's way of reading a
request; the Mastodon simulator reads them as Rails does (`sandbox/mastodon_requests.py`).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request

from sandbox.mastodon_api.requests import UploadedFile, parse_json_body
from sandbox.mastodon_api.server import MUTATING_METHODS
from sandbox.pixelfed_errors import ValidationFailed


async def read_params(request: Request, ignore_multipart_put: bool) -> dict[str, Any]:
    """Query parameters, and for POST/PUT/PATCH/DELETE the body's fields over them."""
    params = collect_params(parse_qsl(request.url.query, keep_blank_values=True))
    if request.method in MUTATING_METHODS:
        content_type = request.headers.get("content-type", "")
        body = await request.body()
        params.update(parse_body(content_type, body, request.method, ignore_multipart_put))
    return params


def normalised_id(raw: Any) -> str | None:
    """An id parameter as pixelfed uses it: a positive integer's digits, else None."""
    if isinstance(raw, bool) or raw is None:
        return None
    text = str(raw).strip()
    return str(int(text)) if text.isdigit() and int(text) > 0 else None


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# --- request bodies as PHP parses them -----------------------------------------------------


def collect_params(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """PHP's way with repeated keys: `a[]=1&a[]=2` and `a[0]=1` make lists, `a=1` a scalar."""
    params: dict[str, Any] = {}
    indexed: dict[str, dict[int, Any]] = {}
    for key, value in pairs:
        match = re.fullmatch(r"([^\[\]]+)\[(\d*)\]", key)
        if match is None:
            params[key] = value
            continue
        name, index = match.groups()
        slots = indexed.setdefault(name, {})
        slots[int(index) if index else len(slots)] = value
    for name, slots in indexed.items():
        params[name] = [slots[i] for i in sorted(slots)]
    return params


def parse_body(
    content_type: str, body: bytes, method: str, ignore_multipart_put: bool
) -> dict[str, Any]:
    """The request body as a dict (JSON, urlencoded or multipart), or {} when unparsed."""
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == "application/json" or media_type.endswith("+json"):
        return parse_json_body(body)
    if media_type == "application/x-www-form-urlencoded":
        pairs = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        return collect_params(list(pairs))
    if media_type == "multipart/form-data":
        if method != "POST" and ignore_multipart_put:
            return {}
        return collect_params(parse_multipart(content_type, body))
    return {}


def parse_multipart(content_type: str, body: bytes) -> list[tuple[str, Any]]:
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        return []
    delimiter = b"--" + match.group(1).encode("latin-1")
    pairs: list[tuple[str, Any]] = []
    for chunk in body.split(delimiter)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        headers = _part_headers(head.decode("utf-8", "replace"))
        disposition = headers.get("content-disposition", "")
        name = _disposition_param(disposition, "name")
        if name is None:
            continue
        filename = _disposition_param(disposition, "filename")
        if filename is None:
            pairs.append((name, data.decode("utf-8", "replace")))
        else:
            declared = headers.get("content-type", "application/octet-stream")
            pairs.append((name, UploadedFile(filename, declared, data)))
    return pairs


def _part_headers(head: str) -> dict[str, str]:
    headers = {}
    for line in head.split("\r\n"):
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


def _disposition_param(disposition: str, name: str) -> str | None:
    match = re.search(rf'(?:^|;)\s*{name}="([^"]*)"', disposition)
    if match is None:
        match = re.search(rf"(?:^|;)\s*{name}=([^;\s]+)", disposition)
    return match.group(1) if match else None


# --- validation (Laravel's messages) --------------------------------------------------------


class Validator:
    """Collects Laravel-style messages per field; `check()` raises if there are any."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params
        self.errors: dict[str, list[str]] = {}

    def fail(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def present(self, key: str) -> bool:
        return self.params.get(key) not in (None, "")

    def string(self, key: str, max_length: int) -> None:
        value = self.params.get(key)
        if value is None:
            return
        label = _label(key)
        if not isinstance(value, str):
            self.fail(key, f"The {label} must be a string.")
        elif len(value) > max_length:
            self.fail(key, f"The {label} must not be greater than {max_length} characters.")

    def array(self, key: str, max_items: int) -> None:
        value = self.params.get(key)
        if value is None:
            return
        label = _label(key)
        if not isinstance(value, list):
            self.fail(key, f"The {label} must be an array.")
        elif len(value) > max_items:
            self.fail(key, f"The {label} must not have more than {max_items} items.")

    def boolean(self, key: str) -> None:
        value = self.params.get(key)
        if value is not None and parse_bool(value) is None:
            self.fail(key, f"The {_label(key)} field must be true or false.")

    def one_of(self, key: str, allowed: tuple[str, ...]) -> None:
        value = self.params.get(key)
        if value is not None and value not in allowed:
            self.fail(key, f"The selected {_label(key)} is invalid.")

    def required(self, key: str) -> None:
        if not self.present(key):
            self.fail(key, f"The {_label(key)} field is required.")

    def check(self) -> None:
        if self.errors:
            raise ValidationFailed(self.errors)


def _label(key: str) -> str:
    return key if "." in key else key.replace("_", " ")


def parse_bool(value: Any) -> bool | None:
    """Laravel's `boolean` rule; also "true"/"false", which Mastodon clients send."""
    if isinstance(value, bool):
        return value
    if value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("0", "1", "true", "false"):
        return value.lower() in ("1", "true")
    return None
