"""Rendering: the worked example of DESIGN.md section 9, to the character, and its variants."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import pytest

from sync.config import CategorySettings, KeywordSettings, Settings
from sync.photo import Photo
from sync.platforms.base import MediaFile
from sync.platforms.flickr.render import render_flickr
from sync.platforms.flickr.settings import FlickrCredentials
from sync.platforms.pixelfed.render import protect_from_strip_tags, render_pixelfed
from sync.platforms.pixelfed.settings import PixelfedCredentials
from sync.rendering import aperture_text, hashtag, keyword_terms

SETTINGS = Settings()
FLICKR_CREDENTIALS = FlickrCredentials(flickr_is_public=True)
PIXELFED_CREDENTIALS = PixelfedCredentials(pixelfed_visibility="unlisted")


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
    rendered = render_flickr(example(), SETTINGS, FLICKR_CREDENTIALS)
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
    post = render_pixelfed(example(), SETTINGS, PIXELFED_CREDENTIALS).post
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
    flickr = render_flickr(photo, SETTINGS, FLICKR_CREDENTIALS).post
    assert flickr.date_granularity == 8
    assert flickr.description.split("\n\n")[2] == "Taken ca. 5 March 2024."
    caption = render_pixelfed(photo, SETTINGS, PIXELFED_CREDENTIALS).post.caption
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
    description = render_flickr(example(**changes), SETTINGS, FLICKR_CREDENTIALS).post.description
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
    flickr = render_flickr(photo, SETTINGS, FLICKR_CREDENTIALS).post
    assert flickr.description == "The lake at dawn, before the wind picked up."
    caption = render_pixelfed(photo, SETTINGS, PIXELFED_CREDENTIALS).post.caption
    assert caption == (
        "Morning fog over the lake\n\n"
        "#lake #landscape #landscapephotography #nature #photography #water"
    )


def test_scanner_and_fractal_models_become_sentences() -> None:
    photo = example(model="ScanSnap S1300", lens="")
    description = render_flickr(photo, SETTINGS, FLICKR_CREDENTIALS).post.description
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
    # The roots apply to category keywords too (issue 12): no festival outside `nature`.
    assert keyword_terms(photo, only_nature, CategorySettings()) == ["lake"]


PRIVATE = "Elm Street 5"


@pytest.mark.parametrize(
    "exclude", ["places|home", "places|home|", "places | home", "Places|HOME", " places||home "]
)
@pytest.mark.parametrize(
    "keyword",
    [
        "places|home|Elm Street 5",
        "places | home | Elm Street 5",
        "places||home|Elm Street 5",
        "PLACES|Home |Elm Street 5|",
        "|places|ho\u200bme|Elm Street 5",
    ],
)
def test_exclusions_compare_normalised_paths(exclude: str, keyword: str) -> None:
    photo = example(keywords=(keyword, "nature|water|lake"))
    settings = KeywordSettings(exclude=(exclude,))
    terms = keyword_terms(photo, settings, CategorySettings())
    assert PRIVATE not in terms
    assert "home" not in [t.casefold() for t in terms]
    assert "lake" in terms


def test_filters_apply_to_keywords_from_categories() -> None:
    photo = example(
        keywords=("nature|water|lake",),
        categories={
            "Location|Australia|Victoria|Home Street": "",
            "Event|Festival|Lantern Festival": "",
            "Image Characteristics|Genre|landscape": "",
        },
    )
    only_nature = KeywordSettings(include_roots=("nature",))
    assert keyword_terms(photo, only_nature, CategorySettings()) == ["lake", "nature", "water"]
    with_places = KeywordSettings(include_roots=("Nature", "location |"))
    assert "Victoria" in keyword_terms(photo, with_places, CategorySettings())
    private = KeywordSettings(exclude=("location | australia | victoria | home street|",))
    terms = keyword_terms(photo, private, CategorySettings())
    assert "Home Street" not in terms
    assert "Lantern Festival" in terms


def test_album_category_without_id_is_a_warning() -> None:
    photo = example(categories={"Socials|flickr|albums|Trips": "   \n"})
    rendered = render_flickr(photo, SETTINGS, FLICKR_CREDENTIALS)
    assert rendered.post.albums == ()
    assert rendered.warnings == (
        "category Socials|flickr|albums|Trips has no flickr id in its description",
    )


def test_title_falls_back_to_the_file_name() -> None:
    assert (
        render_flickr(example(title=""), SETTINGS, FLICKR_CREDENTIALS).post.title == "DSCF0001.jpg"
    )


def test_pixelfed_caption_is_protected_from_strip_tags() -> None:
    post = render_pixelfed(
        example(headline="I <3 fog, 5 < 6 <b>"), SETTINGS, PIXELFED_CREDENTIALS
    ).post
    assert post.caption.startswith(
        "Morning fog over the lake -- I \u20393 fog, 5 < 6 \u2039b> (Taken 5 March 2024)"
    )
    assert protect_from_strip_tags("last <") == "last \u2039"
    assert protect_from_strip_tags("a <\tb") == "a <\tb"


def test_flickr_tags_are_counted_after_flickrs_merging() -> None:
    # 80 keywords that flickr keeps as 60 tags: `Bird 01` and `bird-01` are one tag there.
    keywords = [f"Bird {n:02d}" for n in range(20)] + [f"bird-{n:02d}" for n in range(20)]
    keywords += [f"tree {n:02d}" for n in range(40)]
    rendered = render_flickr(
        example(keywords=tuple(keywords), categories={}), SETTINGS, FLICKR_CREDENTIALS
    )
    assert len(rendered.post.tags) == 60  # what the detail pane shows is what flickr keeps
    assert rendered.size.tags == 61  # and our machine tag


def test_pixelfed_counts_the_hashtags_it_would_link() -> None:
    # 64 keywords + `photography` + the genre's two: 67 hashtags in under 500 characters.
    keywords = tuple(chr(97 + n // 26) + chr(97 + n % 26) for n in range(64))
    rendered = render_pixelfed(example(keywords=keywords), SETTINGS, PIXELFED_CREDENTIALS)
    assert len(rendered.post.caption) < 500
    assert rendered.size.tags == 67
    # `#2024` is plain text to pixelfed, and a hashtag over 124 characters is ignored.
    odd = example(keywords=("2024", "x" * 125), categories={})
    assert render_pixelfed(odd, SETTINGS, PIXELFED_CREDENTIALS).size.tags == 1  # photography


def test_hashtags_keep_only_what_pixelfed_links() -> None:
    assert hashtag("½ price") == "price"  # a vulgar fraction is not a decimal digit
    assert hashtag("Cafe\u0301") == "Café"


def test_a_blank_file_name_as_title_leaves_no_empty_first_line() -> None:
    # Found by hypothesis: a photo without a title whose name was only a line break
    # rendered a caption starting with blank lines.
    photo = example(title="", headline="", date_taken=None, name="\n")
    caption = render_pixelfed(photo, SETTINGS, PIXELFED_CREDENTIALS).post.caption
    assert not caption.startswith("\n")
    assert render_flickr(photo, SETTINGS, FLICKR_CREDENTIALS).post.title == ""


def test_keyword_terms_hash_the_settings_once_per_settings_not_per_keyword(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 17: the term caches were keyed by keyword *and* settings, so every keyword
    and category of every photo hashed both settings objects (a dataclass hash of all
    their fields): a tenth of a second at 10,000 photos."""
    hashed: list[str] = []
    for kind in (KeywordSettings, CategorySettings):
        own_hash = kind.__hash__

        def counting(self: object, own_hash: object = own_hash) -> int:
            hashed.append(type(self).__name__)
            return own_hash(self)  # type: ignore[operator]

        monkeypatch.setattr(kind, "__hash__", counting)
    keywords, categories = KeywordSettings(genre_suffix="shots"), CategorySettings()
    photos = [
        example(
            keywords=(f"nature|water|lake {n}", "weather|fog"),
            categories={"Location|Canada|Yukon": "", "Image Characteristics|Genre|Landscape": ""},
        )
        for n in range(50)
    ]
    terms = [keyword_terms(photo, keywords, categories) for photo in photos]
    assert "lake 7" in terms[7]
    assert "Landscape shots" in terms[0]
    assert "Yukon" in terms[0]
    assert len(hashed) <= 4, hashed
    # Equal settings made anew give the same terms.
    again = keyword_terms(photos[3], KeywordSettings(genre_suffix="shots"), CategorySettings())
    assert again == terms[3]


def test_unique_sorted_keeps_the_same_spelling_in_the_same_order_as_sorting_by_case() -> None:
    import random

    from sync.rendering import unique_sorted

    def reference(terms: list[str]) -> list[str]:
        unique: dict[str, str] = {}
        for term in sorted(set(terms), key=lambda t: (t.casefold(), t)):
            unique.setdefault(term.casefold(), term)
        return list(unique.values())

    words = ["Lake", "lake", "LAKE", "fog", "Fog", "Zürich", "zürich", "ß", "SS", "ss", "a", ""]
    generator = random.Random(3)
    for _ in range(3000):
        terms = [generator.choice(words) for _ in range(generator.randint(0, 9))]
        assert unique_sorted(terms) == reference(terms), terms


def test_linked_hashtags_count_tags_with_a_letter_and_at_most_124_characters() -> None:
    from sync.platforms.pixelfed.render import hashtags_in_text

    tags = ["2024", "Zürich", "a" * 124, "a" * 125, "_", "x1", "Zürich"]
    assert hashtags_in_text(" ".join(f"#{t}" for t in tags)) == 4
    assert hashtags_in_text("") == 0


def test_pixelfed_counts_every_hashtag_of_the_caption_the_title_and_headline_too() -> None:
    """pixelfed links the first 60 hashtags of the whole caption: hashtags a photographer
    typed into the title or headline come first and push keyword hashtags past 60."""
    keywords = tuple(chr(97 + n // 26) + chr(97 + n % 26) for n in range(57))
    plain = render_pixelfed(example(keywords=keywords), SETTINGS, PIXELFED_CREDENTIALS)
    assert plain.size.tags == 60  # 57 keywords, `photography` and the genre's two
    typed = example(keywords=keywords, title="Sunset #nofilter", headline="#fog at #5am, #2024")
    rendered = render_pixelfed(typed, SETTINGS, PIXELFED_CREDENTIALS)
    # `#nofilter`, `#fog` and `#5am` are linked by pixelfed too; `#2024` is plain text.
    assert rendered.size.tags == 63
    # A hashtag typed twice is two of the 60 (pixelfed counts matches, then drops repeats).
    again = render_pixelfed(
        example(keywords=("fog",), headline="#fog"), SETTINGS, PIXELFED_CREDENTIALS
    )
    assert again.size.tags == 1 + 4


@pytest.mark.parametrize(
    "changes",
    [
        {"title": "Fog #dawn #lake #mist"},
        {"headline": "Mist over #water, #pines"},
        {"title": "#one", "headline": "＃two and #three"},
    ],
)
def test_pixelfed_counts_every_hashtag_of_the_caption_it_links(changes: dict[str, str]) -> None:
    """pixelfed links the first 60 hashtags of the whole caption: those in the title or
    headline come first and leave fewer links for the keywords."""
    keywords = tuple(f"subjects|{chr(97 + n // 26)}{chr(97 + n % 26)}" for n in range(56))
    photo = example(keywords=keywords, **changes)
    plain = render_pixelfed(example(keywords=keywords), SETTINGS, PIXELFED_CREDENTIALS)
    assert plain.size.tags == 60  # 56 + subjects, landscape(photography), photography
    rendered = render_pixelfed(photo, SETTINGS, PIXELFED_CREDENTIALS)
    caption = rendered.post.caption
    in_text = [w for w in caption.split("\n\n")[0].replace(",", " ").split() if w[0] in "#＃"]
    assert rendered.size.tags == 60 + len(in_text) > 60
