"""Request parameters as Mastodon's Rails reads them.

Rails merges query and body parameters, parses JSON, urlencoded and multipart bodies on
every method (PUT included, unlike PHP), and builds arrays and hashes from bracketed keys
(`media_ids[]`, `media_attributes[][id]`). Its casts decide what counts as true and which
ids and limits are usable. pixelfed reads them as PHP does (`sandbox/pixelfed_requests.py`).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.requests import Request

from sandbox.mastodon_api.paging import DEFAULT_LIMIT, MAX_LIMIT, PageRequest
from sandbox.mastodon_api.requests import UploadedFile, parse_json_body
from sandbox.mastodon_api.server import MUTATING_METHODS


async def read_params(request: Request) -> dict[str, Any]:
    """Query and body parameters merged, as Rails' `params` does."""
    pairs: list[tuple[str, Any]] = list(parse_qsl(request.url.query, keep_blank_values=True))
    params = rails_params(pairs)
    if request.method not in MUTATING_METHODS:
        return params
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/json":
        params.update(parse_json_body(await request.body()))
    elif media_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form = await request.form()
        fields: list[tuple[str, Any]] = []
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                data = await value.read()
                fields.append(
                    (key, UploadedFile(value.filename or "", value.content_type or "", data))
                )
            else:
                fields.append((key, value))
        params.update(rails_params(fields))
    return params


def rails_params(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Form fields with Rails' bracket rules: `a[]` lists, `a[b]` hashes, `a[][b]` lists of
    hashes (a new hash starts when a key repeats), `a[0][b]` hashes with index keys."""
    params: dict[str, Any] = {}
    for key, value in pairs:
        name, _, rest = key.partition("[")
        path = re.findall(r"\[([^\]]*)\]", "[" + rest) if rest else []
        _assign(params, [name, *path], value)
    return {k: _indexed_to_list(v) for k, v in params.items()}


def _assign(target: dict[str, Any], path: list[str], value: Any) -> None:
    head, rest = path[0], path[1:]
    if not rest:
        target[head] = value
        return
    if rest[0] == "":
        items = target.setdefault(head, [])
        if not isinstance(items, list):
            return
        if len(rest) == 1:
            items.append(value)
            return
        child_key = rest[1]
        if not items or not isinstance(items[-1], dict) or child_key in items[-1]:
            items.append({})
        _assign(items[-1], rest[1:], value)
        return
    child = target.setdefault(head, {})
    if isinstance(child, dict):
        _assign(child, rest, value)


def _indexed_to_list(value: Any) -> Any:
    """`{"0": {...}, "1": {...}}` is accepted where an array of hashes is permitted."""
    if isinstance(value, dict) and value and all(k.isdigit() for k in value):
        return [value[k] for k in sorted(value, key=int)]
    return value


def cast_boolean(value: Any) -> bool | None:
    """`ActiveModel::Type::Boolean`: "" and nil are nil; listed false values are false."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    return str(value) not in ("0", "f", "F", "false", "FALSE", "off", "OFF")


def truthy_param(value: Any) -> bool:
    """`truthy_param?`: true, "true", "1" and the like."""
    return bool(cast_boolean(value))


def id_list(value: Any) -> list[str] | None:
    """`params.permit(media_ids: [])`: only an array of scalars is kept."""
    if not isinstance(value, list):
        return None
    return [str(v) for v in value if isinstance(v, str | int) and not isinstance(v, bool)]


def focus_param(value: Any) -> tuple[float, float] | None:
    if isinstance(value, list) and len(value) == 2:
        parts = value
    elif isinstance(value, str) and "," in value:
        parts = value.split(",", 1)
    else:
        return None
    try:
        return (float(parts[0]), float(parts[1]))
    except (TypeError, ValueError):
        return None


def limit_param(raw: Any) -> int:
    """`limit_param(DEFAULT_STATUSES_LIMIT)`: default 20, at most 40."""
    if raw in (None, ""):
        return DEFAULT_LIMIT
    try:
        return min(abs(int(str(raw))), MAX_LIMIT)
    except ValueError:
        return 0


def page_request(params: dict[str, Any]) -> PageRequest:
    """`limit_param` and the ids of `paginate_by_id`, as Rails casts them."""
    max_id, since_id, min_id = (_int_param(params.get(k)) for k in ("max_id", "since_id", "min_id"))
    return PageRequest(
        limit=limit_param(params.get("limit")), max_id=max_id, since_id=since_id, min_id=min_id
    )


def _int_param(value: Any) -> int | None:
    try:
        return int(str(value)) if value not in (None, "") else None
    except ValueError:
        return None
