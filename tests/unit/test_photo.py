"""Building photos from what IMatch holds: text that shows nothing counts as missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from imatch.library import Publication
from imatch.models import CategoryRef, FileInfo
from sync.config import Settings
from sync.photo import build_photos
from sync.plan import checks_for, default_limits
from sync.platforms.pixelfed.render import render_pixelfed
from sync.platforms.pixelfed.settings import PixelfedCredentials
from sync.rendering import PostSize
from sync.rules import MISSING_HEADLINE, MISSING_KEYWORDS, MISSING_TITLE, classify
from sync.visible_text import visible


@pytest.mark.parametrize(
    "text",
    [
        "\u200b",  # zero-width space
        " \u00a0 ",  # no-break spaces
        "\u200c\u200d",  # zero-width non-joiner and joiner
        "\u2060\ufeff",  # word joiner, byte order mark
        "\u3164",  # Hangul filler
        "\u2800",  # braille blank
        "\u00ad",  # soft hyphen
        "\t\r\n",
        "",
    ],
)
def test_text_that_shows_nothing_is_missing(text: str) -> None:
    assert visible(text) == ""
    assert visible(f" {text}Mist{text} ") == f"{text}Mist{text}".strip()


def test_an_invisible_title_or_headline_is_missing_and_falls_back_to_the_master(
    tmp_path: Path,
) -> None:
    jpeg = tmp_path / "v.jpg"
    jpeg.write_bytes(b"\xff\xd8 jpeg")
    master = FileInfo(
        1,
        name="m.RAF",
        format="RAF",
        values={
            "title": "Morning fog",
            "description": "The lake",
            "headline": "\u00a0",
            "hierarchical_keywords": ("a|b",),
        },
    )
    version = FileInfo(
        2,
        file_name=str(jpeg),
        name="v.jpg",
        format="JPEG",
        size=8,
        values={"title": "\u200b", "headline": "\u200d"},
    )
    pub = Publication(
        "Socials|pixelfed",
        True,
        candidates=(2,),
        direct=frozenset({2}),
        files={1: master, 2: version},
        categories={1: (CategoryRef("Image Characteristics|Genre|landscape"),)},
        masters={2: (1,)},
    )
    [photo] = build_photos(pub)
    assert photo.title == "Morning fog"  # the version's invisible title is no title
    assert photo.text_from_master == {"title", "description"}
    assert photo.headline == ""
    settings = Settings()
    rendered = render_pixelfed(photo, settings, PixelfedCredentials())
    verdict = classify(photo, rendered.size, checks_for("pixelfed", settings, None))
    assert verdict.errors == (MISSING_HEADLINE,)
    assert MISSING_TITLE not in verdict.errors
    assert rendered.post.alt_text == ""
    assert default_limits("pixelfed").max_tags == 60


@pytest.mark.parametrize("keywords", [("|",), (" | | ",), ("\u200b|\u00a0", "||"), ("\u200b",)])
def test_keywords_without_a_level_that_shows_are_missing(
    tmp_path: Path, keywords: tuple[str, ...]
) -> None:
    jpeg = tmp_path / "a.jpg"
    jpeg.write_bytes(b"\xff\xd8 jpeg")
    values = {"title": "Fog", "description": "Lake", "hierarchical_keywords": keywords}
    file = FileInfo(1, file_name=str(jpeg), name="a.jpg", format="JPEG", size=8, values=values)
    pub = Publication(
        "Socials|flickr",
        True,
        candidates=(1,),
        direct=frozenset({1}),
        files={1: file},
        categories={1: (CategoryRef("Image Characteristics|Genre|landscape"),)},
    )
    [photo] = build_photos(pub)
    assert photo.keywords == ()
    verdict = classify(photo, PostSize(), checks_for("flickr", Settings(), None))
    assert MISSING_KEYWORDS in verdict.errors
