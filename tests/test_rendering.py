"""Rendering: the worked example of DESIGN.md section 9, to the character, and its variants."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import pytest

from sync.config import CategorySettings, Credentials, KeywordSettings, Settings
from sync.photo import Photo
from sync.platforms.base import MediaFile
from sync.platforms.flickr_render import render_flickr
from sync.platforms.pixelfed_render import protect_from_strip_tags, render_pixelfed
from sync.rendering import aperture_text, hashtag, keyword_terms

SETTINGS = Settings()
CREDENTIALS = Credentials(flickr_is_public=True, pixelfed_visibility="unlisted")


def example(**changes: object) -> Photo:
    photo = Photo(
        id=2,
        name="DSCF0001.jpg",
        file=MediaFile(Path("/photos/DSCF0001.jpg"), 1000, "JPEG"),
        file_exists=True,
        master_id=1,
        title="Morning fog over the lake",
        description="The lake at dawn, before the wind picked up.",
        headline="Mist rising from a still lake, pines on the far shore",
        keywords=("nature|water|lake",),
        date_taken=datetime(2024, 3, 5, 6, 42, 10),
        iso="200",
        shutter_speed="1/250",
        aperture="8.0",
        focal_length="35 mm",
        make="FUJIFILM",
        model="X-T5",
        lens="XF16-55mmF2.8 R LM WR",
        categories={
            "Image Characteristics|Genre|landscape": "",
            "Socials|flickr": "",
            "Socials|flickr|albums|Landscapes": "72157600000000001\nMy landscapes",
            "Socials|flickr|groups|Lovers": "  12345678@N00 ",
        },
    )
    return dataclasses.replace(photo, **changes)  # type: ignore[arg-type]


def test_flickr_worked_example() -> None:
    rendered = render_flickr(example(), SETTINGS, CREDENTIALS)
    post = rendered.post
    assert post.title == "Morning fog over the lake"
    assert post.description == (
        "Mist rising from a still lake, pines on the far shore\n"
        "\n"
        "The lake at dawn, before the wind picked up.\n"
        "\n"
        "ISO 200 | 1/250 sec | f/8 | 35 mm\n"
        "X-T5 | XF16-55mmF2.8 R LM WR"
    )
    assert post.tags == ("lake", "landscape", "landscape photography", "nature", "water")
    assert post.date_taken == datetime(2024, 3, 5, 6, 42, 10)
    assert post.date_granularity == 0
    assert post.albums == ("72157600000000001",)
    assert post.groups == ("12345678@N00",)
    assert (post.is_public, post.is_friend, post.is_family) == (True, False, False)
    assert rendered.size.tags == 6  # five keywords and our machine tag


def test_pixelfed_worked_example() -> None:
    post = render_pixelfed(example(), SETTINGS, CREDENTIALS).post
    assert post.caption == (
        "Morning fog over the lake -- Mist rising from a still lake, pines on the far shore"
        " (Taken 5 March 2024)\n"
        "\n"
        "#lake #landscape #landscapephotography #nature #photography #water\n"
        "\n"
        "ISO 200 | 1/250 sec | f/8 | 35 mm\n"
        "X-T5 | XF16-55mmF2.8 R LM WR"
    )
    assert post.alt_text == "Mist rising from a still lake, pines on the far shore"
    assert post.visibility == "unlisted"


def test_circa_date_on_both_platforms() -> None:
    photo = example(circa=True)
    flickr = render_flickr(photo, SETTINGS, CREDENTIALS).post
    assert flickr.date_granularity == 8
    assert flickr.description.split("\n\n")[2] == "Taken ca. 5 March 2024."
    caption = render_pixelfed(photo, SETTINGS, CREDENTIALS).post.caption
    assert caption.splitlines()[0].endswith("(Taken ca. 5 March 2024)")


@pytest.mark.parametrize(
    ("changes", "shooting", "camera"),
    [
        ({"iso": ""}, "1/250 sec | f/8 | 35 mm", "X-T5 | XF16-55mmF2.8 R LM WR"),
        ({"lens": ""}, "ISO 200 | 1/250 sec | f/8 | 35 mm", "X-T5"),
        ({"focal_length": ""}, "ISO 200 | 1/250 sec | f/8", "X-T5 | XF16-55mmF2.8 R LM WR"),
        ({"model": ""}, "ISO 200 | 1/250 sec | f/8 | 35 mm", "XF16-55mmF2.8 R LM WR"),
        ({"aperture": "n/a"}, "ISO 200 | 1/250 sec | 35 mm", "X-T5 | XF16-55mmF2.8 R LM WR"),
    ],
)
def test_empty_parts_leave_no_separator(
    changes: dict[str, str], shooting: str, camera: str
) -> None:
    description = render_flickr(example(**changes), SETTINGS, CREDENTIALS).post.description
    assert description.endswith(f"{shooting}\n{camera}")
    assert " |  | " not in description
    assert not description.endswith(" |")


def test_no_headline_no_date_no_camera() -> None:
    photo = example(
        headline="",
        date_taken=None,
        iso="",
        shutter_speed="",
        aperture="",
        focal_length="",
        model="",
        lens="",
    )
    flickr = render_flickr(photo, SETTINGS, CREDENTIALS).post
    assert flickr.description == "The lake at dawn, before the wind picked up."
    caption = render_pixelfed(photo, SETTINGS, CREDENTIALS).post.caption
    assert caption == (
        "Morning fog over the lake\n\n"
        "#lake #landscape #landscapephotography #nature #photography #water"
    )


def test_scanner_and_fractal_models_become_sentences() -> None:
    photo = example(model="ScanSnap S1300", lens="")
    description = render_flickr(photo, SETTINGS, CREDENTIALS).post.description
    assert description.endswith("Digitised from a print with a Fujitsu ScanSnap S1300.")


def test_aperture_three_significant_digits() -> None:
    assert [aperture_text(a) for a in ("8.0", "5.6", "11", "2.80", "", "x")] == [
        "f/8",
        "f/5.6",
        "f/11",
        "f/2.8",
        "",
        "",
    ]


def test_hashtags_are_cleaned() -> None:
    assert hashtag("rock & roll") == "rockroll"
    assert hashtag("St. Kilda-beach") == "StKildabeach"
    assert hashtag("Zürich") == "Zürich"
    assert hashtag("#already") == "already"
    assert hashtag("&") == ""


def test_keywords_are_deterministic_and_deduplicated() -> None:
    one = example(keywords=("nature|water|lake", "Nature|birds", "water"))
    two = example(keywords=("water", "Nature|birds", "nature|water|lake"))
    terms = keyword_terms(one, KeywordSettings(), CategorySettings())
    assert terms == keyword_terms(two, KeywordSettings(), CategorySettings())
    assert [t.casefold() for t in terms] == sorted({t.casefold() for t in terms})
    assert len([t for t in terms if t.casefold() == "nature"]) == 1


def test_keyword_filters_keep_private_places_private() -> None:
    photo = example(
        keywords=("places|home|Elm Street 5", "nature|water|lake", "people|family|Anna"),
        categories={
            "Location|Australia|Victoria|Melbourne|Home": "",
            "Event|Festival|Lantern Festival|Night": "",
        },
    )
    settings = KeywordSettings(exclude=("places|home", "people"), location_levels=(2, 3))
    terms = keyword_terms(photo, settings, CategorySettings())
    assert terms == ["Australia", "lake", "Lantern Festival", "nature", "Victoria", "water"]
    only_nature = KeywordSettings(include_roots=("nature",), levels=(3,), location_levels=())
    assert keyword_terms(photo, only_nature, CategorySettings()) == ["lake", "Lantern Festival"]


def test_album_category_without_id_is_a_warning() -> None:
    photo = example(categories={"Socials|flickr|albums|Trips": "   \n"})
    rendered = render_flickr(photo, SETTINGS, CREDENTIALS)
    assert rendered.post.albums == ()
    assert rendered.warnings == (
        "category Socials|flickr|albums|Trips has no flickr id in its description",
    )


def test_title_falls_back_to_the_file_name() -> None:
    assert render_flickr(example(title=""), SETTINGS, CREDENTIALS).post.title == "DSCF0001.jpg"


def test_pixelfed_caption_is_protected_from_strip_tags() -> None:
    post = render_pixelfed(example(headline="I <3 fog, 5 < 6 <b>"), SETTINGS, CREDENTIALS).post
    assert post.caption.startswith(
        "Morning fog over the lake -- I \u20393 fog, 5 < 6 \u2039b> (Taken 5 March 2024)"
    )
    assert protect_from_strip_tags("last <") == "last \u2039"
    assert protect_from_strip_tags("a <\tb") == "a <\tb"
