"""Typed values the IMatch client returns: files, categories, relations, attribute records."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

TagValue = str | tuple[str, ...]


class Values(Mapping[str, "TagValue"]):
    """A file's tag and variable values that are set, as two tuples: the names (one tuple
    for every file with the same names set) and the values. Read like a dict; less than
    half a dict's size, which at 90,000 files read for 50,000 photos is 10 MB."""

    __slots__ = ("_names", "_values")

    def __init__(self, names: tuple[str, ...], values: tuple[TagValue, ...]) -> None:
        self._names = _NAME_SETS.setdefault(names, names)
        self._values = values

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self._values[self._names.index(key)]
        except ValueError:
            return default

    def __getitem__(self, key: str) -> TagValue:
        try:
            return self._values[self._names.index(key)]
        except ValueError:
            raise KeyError(key) from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return dict(self.items()) == dict(other.items())

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(dict(self.items()))


_NAME_SETS: dict[tuple[str, ...], tuple[str, ...]] = {}
"""One tuple per distinct set of value names (a handful in a library)."""


@dataclass(frozen=True, slots=True)
class FileInfo:
    """One file's properties and the tag/variable values that were asked for."""

    id: int
    file_name: str = ""
    name: str = ""
    format: str = ""
    size: int = 0
    width: int = 0
    height: int = 0
    date_time: datetime | None = None
    values: Mapping[str, TagValue] = field(default_factory=dict)

    def text(self, key: str) -> str:
        """A value as one string; lists are joined with `;` (IMatch's list separator)."""
        value = self.values.get(key, "")
        return ";".join(value) if isinstance(value, tuple) else value

    def texts(self) -> dict[str, str]:
        """Every value that is set as one string (as `text` gives it), by name: one pass
        for a caller that reads many of them."""
        values = self.values
        pairs = (
            zip(values._names, values._values, strict=True)
            if isinstance(values, Values)
            else values.items()
        )
        return {key: ";".join(v) if isinstance(v, tuple) else v for key, v in pairs}

    def items(self, key: str) -> tuple[str, ...]:
        """A value as a list of non-blank strings (a single string becomes one item)."""
        value = self.values.get(key, ())
        if isinstance(value, str):
            return (value,) if value.strip() else ()
        return tuple([v for v in value if v.strip()])


@dataclass(frozen=True, slots=True)
class CategoryRef:
    """A category a file belongs to, as `/v1/files/categories` reports it."""

    path: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Category:
    """A category read with `/v1/categories`; fields not asked for stay empty."""

    path: str
    id: int | None = None
    name: str = ""
    description: str = ""
    files: tuple[int, ...] = ()
    direct_files: tuple[int, ...] = ()
    children: tuple[Category, ...] = ()

    def child(self, name: str) -> Category | None:
        return next((c for c in self.children if c.name == name), None)


@dataclass(frozen=True, slots=True)
class RelatedFile:
    """A master or version file as `/v1/files/relations` reports it."""

    id: int
    name: str = ""
    file_name: str = ""
    format: str = ""
    size: int = 0


@dataclass(frozen=True, slots=True)
class AttributeRecord:
    """One instance of an attribute set on one file."""

    instance_id: int
    file_id: int
    values: Mapping[str, str] = field(default_factory=dict)


AppValue = str | int | float | bool


@dataclass(frozen=True)
class AppVariables:
    """IMatch application variables, normalised: numbers and strings read alike."""

    values: Mapping[str, AppValue] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return self.text(name) != ""

    def text(self, name: str, default: str = "") -> str:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return "1" if value else "0"
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = str(value).strip()
        return text if text else default

    def flag(self, name: str, default: bool = False) -> bool:
        text = self.text(name).lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        return default

    def first(self, *names: str) -> str:
        """The first of several spellings that is set (e.g. `flickr_api_key`, `flickr_apikey`)."""
        return next((self.text(n) for n in names if self.has(n)), "")
