"""Comparable forms of IMatch keyword and category paths, for the keyword filters.

A filter must match however a path is spelled, or a private place name leaks on a
trivial difference: `places|home`, `places|home|`, `places | home`, `Places||HOME` and a
level with a zero-width space in it are one path. Levels are compared trimmed, with
inner whitespace collapsed, without invisible characters, in Unicode compatibility form
and ignoring case; empty levels are dropped.
"""

from __future__ import annotations

import functools
import unicodedata

SEPARATOR = "|"
Path = tuple[str, ...]


@functools.lru_cache(maxsize=65536)
def normal_level(level: str) -> str:
    """One level as compared: `" Elm\u200b  Street "` -> `"elm street"`."""
    text = unicodedata.normalize("NFKC", level)
    text = "".join(c for c in text if unicodedata.category(c) not in ("Cf", "Cc") or c.isspace())
    return " ".join(text.split()).casefold()


@functools.lru_cache(maxsize=65536)
def normal_path(path: str) -> Path:
    """`"Places | home|"` -> `("places", "home")`."""
    return tuple(level for level in map(normal_level, path.split(SEPARATOR)) if level)


def levels(path: str) -> list[str]:
    """The path's levels as written (trimmed), without the ones that compare as empty, so
    that they line up with `normal_path`."""
    return [level.strip() for level in path.split(SEPARATOR) if normal_level(level)]


def under(path: Path, prefix: Path) -> bool:
    """`path` is `prefix` or below it (both normalised)."""
    return bool(prefix) and path[: len(prefix)] == prefix
