"""A small evaluator for the IMatch variables our client sends as `var*` parameters.

Supports `{File.MD.<tag>}`, `{File.MD.<tag>|value:formatted}`, `{File.MD.<tag>|value:rawfrm}`,
fully qualified `{File.MD.<ns>::<group>\\<id>\\<name>\\<index>}`, `{File.FullName}`,
`{File.Name}`, `{File.Format}`, `{File.DateTime}` and `{File.Size}`, mixed with literal text.
Unknown variables evaluate to an empty string; lists are joined with `;` as IMatch does.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sandbox.imatch_db import SimFile

_VARIABLE = re.compile(r"\{([^{}]+)\}")
LIST_SEPARATOR = ";"


def evaluate(expression: str, file: SimFile) -> str:
    """Evaluate every `{...}` variable in `expression` for `file`."""
    return _VARIABLE.sub(lambda m: _evaluate_one(m.group(1), file), expression)


def _evaluate_one(body: str, file: SimFile) -> str:
    name, _, arguments = body.partition("|")
    mode = _value_mode(arguments)
    if name.startswith("File.MD."):
        tag = name[len("File.MD.") :]
        if "::" in tag:
            return _as_text(file.raw_tags.get(tag, ""))
        return _format_tag(tag.lower(), file.tags.get(tag.lower()), mode)
    properties: dict[str, Any] = {
        "File.FullName": file.file_name,
        "File.Name": file.name,
        "File.Format": file.format,
        "File.DateTime": file.date_time.replace("T", " "),
        "File.Size": file.size,
    }
    return _as_text(properties.get(name, ""))


def _value_mode(arguments: str) -> str:
    for argument in arguments.split(";"):
        key, _, value = argument.partition(":")
        if key.strip() == "value":
            return value.strip()
    return ""


def _format_tag(tag: str, value: Any, mode: str) -> str:
    if value is None or value == "":
        return ""
    if mode == "formatted":
        formatter = _FORMATTERS.get(tag)
        if formatter is not None:
            return formatter(value)
    if mode == "rawfrm" and isinstance(value, float):
        return f"{value:.6f}"
    return _as_text(value)


def _as_text(value: Any) -> str:
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return str(value)


def _shutter(value: Any) -> str:
    if isinstance(value, int | float) and 0 < value < 1:
        return f"1/{round(1 / value)}"
    return _number(value)


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


_FORMATTERS: dict[str, Callable[[Any], str]] = {
    "shutterspeed": _shutter,
    "focallength": lambda v: f"{_number(v)} mm",
    "iso": _number,
    "aperture": lambda v: f"{float(v):.1f}" if isinstance(v, int | float) else str(v),
}
