"""Text pieces shared by the platforms' posts: keywords, shooting and camera lines, dates.

Deterministic by construction: keywords are de-duplicated (ignoring case) and sorted,
empty parts leave no separator behind, and nothing depends on set iteration order.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sync.config import CategorySettings, KeywordSettings
from sync.photo import Photo

SEPARATOR = " | "
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
CAMERA_SENTENCES = {
    "ultrafractal": "A digital image generated in Ultra Fractal.",
    "scansnap s1300": "Digitised from a print with a Fujitsu ScanSnap S1300.",
}
NO_GENRE_SUFFIX = frozenset({"astrophotography"})
PostT = TypeVar("PostT")


@dataclass(frozen=True)
class PostSize:
    """The parts of a post that platforms limit, measured as they will be sent."""

    title_chars: int = 0
    caption_chars: int = 0
    alt_text_chars: int = 0
    tags: int = 0


@dataclass(frozen=True)
class Rendered(Generic[PostT]):
    """A platform's post for one photo, with what the rendering had to leave out."""

    post: PostT
    size: PostSize
    warnings: tuple[str, ...] = ()


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "|")


def _excluded(path: str, settings: KeywordSettings) -> bool:
    return any(_under(path.casefold(), e.casefold()) for e in settings.exclude)


def _levels(path: str) -> list[str]:
    return [level.strip() for level in path.split("|") if level.strip()]


def keyword_terms(
    photo: Photo, keywords: KeywordSettings, categories: CategorySettings
) -> list[str]:
    """Every keyword to publish, sorted and de-duplicated (case-insensitively)."""
    terms: list[str] = []
    for keyword in photo.keywords:
        terms += _keyword_terms(keyword, keywords)
    for path in photo.categories:
        terms += _category_terms(path, keywords, categories)
    return unique_sorted(terms)


@functools.lru_cache(maxsize=65536)
def _keyword_terms(keyword: str, keywords: KeywordSettings) -> tuple[str, ...]:
    """The terms one hierarchical keyword contributes (cached: keywords repeat across a
    library, and planning 10,000 photos otherwise spends most of its time here)."""
    levels = _levels(keyword)
    if not levels or _excluded(keyword, keywords):
        return ()
    roots = {r.casefold() for r in keywords.include_roots}
    if roots and levels[0].casefold() not in roots:
        return ()
    wanted = keywords.levels or range(1, len(levels) + 1)
    return _normalized(levels[n - 1] for n in wanted if 0 < n <= len(levels))


@functools.lru_cache(maxsize=4096)
def _category_terms(
    path: str, keywords: KeywordSettings, categories: CategorySettings
) -> tuple[str, ...]:
    """Keywords a category contributes (cached: thousands of photos share a few hundred)."""
    if _excluded(path, keywords):
        return ()
    levels = _levels(path)
    for event_root in categories.events:
        depth = len(_levels(event_root))
        if _under(path, event_root) and len(levels) > depth:
            return _normalized([levels[depth]])
    if _under(path, categories.location):
        return _normalized(levels[n - 1] for n in keywords.location_levels if 1 < n <= len(levels))
    if _under(path, categories.genre):
        depth = len(_levels(categories.genre))
        terms = []
        for genre in levels[depth:]:
            terms.append(genre)
            if keywords.genre_suffix and genre.casefold() not in NO_GENRE_SUFFIX:
                terms.append(f"{genre} {keywords.genre_suffix}")
        return _normalized(terms)
    return ()


def _normalized(terms: Iterable[str]) -> tuple[str, ...]:
    """Inner whitespace collapsed to one space; empty terms dropped."""
    return tuple(term for term in (" ".join(t.split()) for t in terms) if term)


def sorted_unique(terms: Iterable[str]) -> list[str]:
    """Sorted ignoring case; of spellings that differ only in case, one is kept, always the
    same one whatever the input order (so posts do not change between runs)."""
    return unique_sorted(_normalized(terms))


def unique_sorted(normalized_terms: Iterable[str]) -> list[str]:
    """`sorted_unique` for terms already normalized (see `_normalized`): the hot path of
    planning, where every term comes from a cache that normalized it once."""
    unique: dict[str, str] = {}
    for term in sorted(set(normalized_terms), key=_case_insensitive):
        unique.setdefault(term.casefold(), term)
    return list(unique.values())


def _case_insensitive(term: str) -> tuple[str, str]:
    return (term.casefold(), term)


@functools.lru_cache(maxsize=65536)
def hashtag(term: str) -> str:
    """`Lantern Festival` -> `LanternFestival`: letters (with their accents), decimal
    digits and underscores only, the characters a pixelfed hashtag is made of."""
    normal = unicodedata.normalize("NFC", term)
    return "".join(c for c in normal if c == "_" or _hashtag_category(c))


def _hashtag_category(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "LM" or category == "Nd"


def aperture_text(aperture: str) -> str:
    try:
        value = float(aperture)
    except ValueError:
        return ""
    return f"f/{value:.3g}" if value > 0 else ""


def shooting_info(photo: Photo) -> str:
    """`ISO 200 | 1/250 sec | f/8 | 35 mm`, leaving out whatever is missing."""
    parts = [
        f"ISO {photo.iso}" if photo.iso else "",
        f"{photo.shutter_speed} sec" if photo.shutter_speed else "",
        aperture_text(photo.aperture),
        photo.focal_length,
    ]
    return SEPARATOR.join(p for p in parts if p)


def camera_info(photo: Photo) -> str:
    """`X-T5 | XF16-55mmF2.8 R LM WR`; a scanner or fractal program gets a sentence."""
    model = CAMERA_SENTENCES.get(photo.model.casefold(), photo.model)
    return SEPARATOR.join(p for p in (model, photo.lens) if p)


def date_text(photo: Photo) -> str:
    """`5 March 2024`, `ca. 5 March 2024` for a circa date, empty without a date."""
    taken = photo.date_taken
    if taken is None:
        return ""
    text = f"{taken.day} {MONTHS[taken.month - 1]} {taken.year}"
    return f"ca. {text}" if photo.circa else text


def first_line(text: str) -> str:
    """The trimmed first non-empty line (album and group ids live there)."""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")
