"""The IMatch simulator's metadata write, `POST /v1/metadata`: change a file's title,
description, headline or keywords as a user would in IMatch.

Follows reference/imatch-api.md section 5.11 (IMatch's 2017 preview of the endpoint):
`id` (comma list) and `tags`, a JSON array of operations `{"tag": <short tag name>,
"op": "set" | "add" | "remove", "value": <value>}`. `set` replaces the value (a list for
repeatable tags such as `hierarchicalkeywords`), `add` and `remove` add or remove
values of a repeatable tag. Like IMatch, the edit lands in the database and the file
becomes pending write-back (collection 5); the image file itself is not touched.
"""

from __future__ import annotations

import json
from typing import Any

from imatch.errors import IMatchError
from sandbox.imatch_db import REPEATABLE_TAGS, SimFile

PENDING_WRITE_BACK = 5
OPS = ("set", "add", "remove")


def parse_operations(raw: str) -> list[dict[str, Any]]:
    try:
        operations = json.loads(raw)
    except ValueError:
        raise IMatchError(400, 400, "tags: not a JSON array") from None
    if not isinstance(operations, list) or not operations:
        raise IMatchError(400, 400, "tags: expected a JSON array of operations")
    for operation in operations:
        if not isinstance(operation, dict) or not isinstance(operation.get("tag"), str):
            raise IMatchError(400, 400, "tags: each operation needs a tag")
        if operation.get("op", "set") not in OPS:
            raise IMatchError(400, 400, f"tags: unknown op {operation.get('op')!r}")
        if operation.get("op", "set") != "set" and operation["tag"].lower() not in REPEATABLE_TAGS:
            raise IMatchError(400, 400, f"tags: {operation['tag']} holds one value: use set")
    return operations


def apply_operations(file: SimFile, operations: list[dict[str, Any]]) -> None:
    for operation in operations:
        tag = operation["tag"].lower()
        op = operation.get("op", "set")
        value = operation.get("value", "")
        if tag not in REPEATABLE_TAGS:
            file.tags[tag] = "" if value is None else str(value)
            continue
        values = value if isinstance(value, list) else [value]
        values = [str(v) for v in values if str(v).strip()]
        current = file.tags.get(tag) or []
        current = current if isinstance(current, list) else [current]
        if op == "set":
            file.tags[tag] = values
        elif op == "add":
            file.tags[tag] = current + [v for v in values if v not in current]
        else:
            file.tags[tag] = [v for v in current if v not in values]
    if PENDING_WRITE_BACK not in file.collections:
        file.collections.append(PENDING_WRITE_BACK)
