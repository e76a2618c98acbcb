"""Text pieces shared by the platforms' posts: keywords, shooting and camera lines, dates.

Deterministic by construction: keywords are de-duplicated (ignoring case) and sorted,
empty parts leave no separator behind, and nothing depends on set iteration order.
"""

from __future__ import annotations

import functools
import sys
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sync.config import CategorySettings, KeywordSettings, Settings
from sync.keyword_paths import Path as KeywordPath
from sync.keyword_paths import levels, normal_path, under
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
UNBOUNDED = sys.maxsize
"""A measure a size bound leaves open (one the platform sets no limit on)."""


@dataclass(frozen=True, slots=True)
class PostSize:
    """The parts of a post that platforms limit, measured as they will be sent."""

    title_chars: int = 0
    caption_chars: int = 0
    alt_text_chars: int = 0
    tags: int = 0


@dataclass(frozen=True, slots=True)
class Rendered(Generic[PostT]):
    """A platform's post for one photo, with what the rendering had to leave out."""

    post: PostT
    size: PostSize
    warnings: tuple[str, ...] = ()


Filters = tuple[tuple[KeywordPath, ...], tuple[KeywordPath, ...]]
Result = TypeVar("Result")


def settings_cache(function: Callable[..., Result]) -> Callable[..., Result]:
    """`function` of settings objects, worked out once per equal settings (a small
    `lru_cache`) and answered from its last call when given the very same objects again:
    a scan passes one settings object for every photo, and hashing a settings dataclass
    (every field) for each keyword was a tenth of a second at 10,000 photos."""
    cached = functools.lru_cache(maxsize=8)(function)
    last: list[tuple[tuple[object, ...], Result]] = []

    @functools.wraps(function)
    def by_identity(*settings: object) -> Result:
        if last and len(last[0][0]) == len(settings):
            known, result = last[0]
            if all(a is b for a, b in zip(known, settings, strict=True)):
                return result
        result = cached(*settings)
        last[:] = [(settings, result)]
        return result

    return by_identity


@settings_cache
def _filters(settings: KeywordSettings) -> Filters:
    """The include roots and exclusions, normalised once (see `sync.keyword_paths`)."""
    include = tuple(p for p in map(normal_path, settings.include_roots) if p)
    exclude = tuple(p for p in map(normal_path, settings.exclude) if p)
    return include, exclude


def filtered_out(path: str, settings: KeywordSettings) -> bool:
    """The keyword or category `path` must not be published: it is under an exclusion,
    or outside every include root (when there are any), however either is spelled."""
    normal = normal_path(path)
    include, exclude = _filters(settings)
    if any(under(normal, e) for e in exclude):
        return True
    return bool(include) and not any(under(normal, root) for root in include)


def keyword_terms(
    photo: Photo, keywords: KeywordSettings, categories: CategorySettings
) -> list[str]:
    """Every keyword to publish, sorted and de-duplicated (case-insensitively)."""
    return unique_sorted(raw_terms(photo, keywords, categories))


def raw_terms(photo: Photo, keywords: KeywordSettings, categories: CategorySettings) -> list[str]:
    """The terms of each keyword and category, before they are sorted and de-duplicated:
    `keyword_terms` gives at most as many, which is what a size bound counts."""
    by_keyword, by_category = _term_caches(keywords, categories)
    terms: list[str] = []
    for keyword in photo.keywords:
        found = by_keyword.get(keyword)
        if found is None:
            found = by_keyword[keyword] = _keyword_terms(keyword, keywords)
        terms += found
    for path in photo.categories:
        found = by_category.get(path)
        if found is None:
            found = by_category[path] = _category_terms(path, keywords, categories)
        terms += found
    return terms


TermCache = dict[str, tuple[str, ...]]
MAX_CACHED_TERMS = 65536
"""Keywords (and categories) whose terms are kept per settings: keywords repeat across a
library, and planning 10,000 photos otherwise spends most of its time working them out."""


def _term_caches(
    keywords: KeywordSettings, categories: CategorySettings
) -> tuple[TermCache, TermCache]:
    """The terms already worked out for these settings, by keyword and by category path
    (emptied when either grows past `MAX_CACHED_TERMS`)."""
    by_keyword, by_category = _empty_term_caches(keywords, categories)
    if len(by_keyword) > MAX_CACHED_TERMS or len(by_category) > MAX_CACHED_TERMS:
        by_keyword.clear()
        by_category.clear()
    return by_keyword, by_category


@settings_cache
def _empty_term_caches(
    keywords: KeywordSettings, categories: CategorySettings
) -> tuple[TermCache, TermCache]:
    return {}, {}


def _keyword_terms(keyword: str, keywords: KeywordSettings) -> tuple[str, ...]:
    """The terms one hierarchical keyword contributes."""
    written = levels(keyword)
    if not written or filtered_out(keyword, keywords):
        return ()
    wanted = keywords.levels or range(1, len(written) + 1)
    return _normalized(written[n - 1] for n in wanted if 0 < n <= len(written))


def _category_terms(
    path: str, keywords: KeywordSettings, categories: CategorySettings
) -> tuple[str, ...]:
    """Keywords a category contributes (thousands of photos share a few hundred). The
    keyword filters apply to them as to any keyword."""
    if filtered_out(path, keywords):
        return ()
    normal = normal_path(path)
    written = levels(path)
    for event_root in categories.events:
        depth = len(normal_path(event_root))
        if under(normal, normal_path(event_root)) and len(written) > depth:
            return _normalized([written[depth]])
    if under(normal, normal_path(categories.location)):
        wanted = keywords.location_levels
        return _normalized(written[n - 1] for n in wanted if 1 < n <= len(written))
    genre = normal_path(categories.genre)
    if under(normal, genre):
        terms = []
        for name in written[len(genre) :]:
            terms.append(name)
            if keywords.genre_suffix and name.casefold() not in NO_GENRE_SUFFIX:
                terms.append(f"{name} {keywords.genre_suffix}")
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
    # Sorted by the term, then (stable) by its case-folded form: the order of sorting by
    # (casefold, term), with C-level keys.
    ordered = sorted(set(normalized_terms))
    ordered.sort(key=str.casefold)
    unique: dict[str, str] = {}
    for term in ordered:
        unique.setdefault(term.casefold(), term)
    return list(unique.values())


@functools.lru_cache(maxsize=65536)
def hashtag(term: str) -> str:
    """`Lantern Festival` -> `LanternFestival`: letters (with their accents), decimal
    digits and underscores only, the characters a linked hashtag is made of."""
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


def camera_lines(photo: Photo) -> str:
    """The shooting line over the camera line, either left out when unknown."""
    return "\n".join(line for line in (shooting_info(photo), camera_info(photo)) if line)


def post_title(photo: Photo) -> str:
    """The photo's title, or its file name when it has none, trimmed."""
    return (photo.title or photo.name).strip()


def caption_heading(photo: Photo) -> str:
    """`<title> -- <headline> (Taken <date>)`, the first block of a status caption."""
    heading = post_title(photo)
    if photo.headline:
        heading += f" -- {photo.headline}"
    if photo.date_taken is not None:
        heading += f" (Taken {date_text(photo)})"
    return heading


def status_caption(photo: Photo, tags: Iterable[str]) -> str:
    """`<title> -- <headline> (Taken <date>)`, the hashtags, then the camera lines: the
    caption of a status post, whichever platform takes it (blank lines between the blocks
    present)."""
    hashtags = " ".join(f"#{t}" for t in tags)
    blocks = (caption_heading(photo), hashtags, camera_lines(photo))
    return "\n\n".join(block for block in blocks if block)


@dataclass(frozen=True, slots=True)
class StatusBound:
    """A status caption (`caption_heading`, the hashtags, `camera_lines`) measured
    without making it, for a size bound."""

    chars: int
    """At least the caption's characters: each part at its longest (a date as `ca. 30
    September`, an aperture in exponent form, a camera model as the longest sentence
    that may stand for it, the hashtags as if none were merged or dropped)."""
    hashtags: int
    """At least how many hashtags of ours the caption holds."""
    hash_signs: int
    """How often the photo's own texts in it hold a `#` or a full-width `＃`."""
    url_marks: int
    """How often the photo's own texts in it hold a `://` (the hashtags never do)."""


DATE_CHARS = len(" (Taken ca. 30 September 9999)")
APERTURE_CHARS = len("f/1.23e+308")
LONGEST_SENTENCE = max(map(len, CAMERA_SENTENCES.values()))
_SEPARATOR_CHARS = len(SEPARATOR)


def status_bound(photo: Photo, settings: Settings, always_tagged: str) -> StatusBound:
    """`StatusBound` of the photo's `status_caption`, its hashtags those of its keyword
    terms and `always_tagged`."""
    terms = raw_terms(photo, settings.keywords, settings.categories)
    source = photo.source
    texts = (
        source.title or source.name,
        source.headline,
        source.iso,
        source.shutter_speed,
        source.focal_length,
        source.model,
        source.lens,
    )
    joined = "\n".join(texts)  # the texts' characters, and no `#` or `://` of ours
    chars = len(joined) + len(" -- ") + len("ISO ") + len(" sec") + len("\n")
    chars += 4 * _SEPARATOR_CHARS + APERTURE_CHARS + LONGEST_SENTENCE
    if source.date_taken is not None:
        chars += DATE_CHARS
    # Each hashtag as `#tag ` (the last one's space pays for nothing), then the two
    # blank lines between the three blocks.
    chars += sum(len(hashtag(term)) + 2 for term in terms) + len(always_tagged) + 2 + 4
    return StatusBound(
        chars=chars,
        hashtags=len(terms) + 1,
        hash_signs=joined.count("#") + joined.count("\uff03"),
        url_marks=joined.count("://"),
    )


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
