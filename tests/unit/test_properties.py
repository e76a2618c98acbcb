"""Property-based tests (hypothesis) of rendering and classification.

Rendering is deterministic (same photo, same post, whatever the order of its keywords and
categories), never leaves an empty ` | ` separator or a bare `#`, and whenever a post
breaks a platform limit the classification names the error instead of sending it.
Classification is total (one verdict for any photo) and follows the priority rules.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from datetime import datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from imatch.models import AttributeRecord
from sync.config import Credentials, Settings
from sync.photo import FLAG_DELETE, FLAG_METADATA, FLAG_UPDATE, Photo
from sync.plan import checks_for, default_limits
from sync.platforms.base import MediaFile
from sync.platforms.flickr.render import render_flickr
from sync.platforms.flickr.settings import FlickrCredentials
from sync.platforms.mastodon.render import render_mastodon
from sync.platforms.mastodon.settings import MastodonCredentials
from sync.platforms.pixelfed.render import pixelfed_hashtags, render_pixelfed
from sync.platforms.pixelfed.settings import PixelfedCredentials
from sync.rendering import SEPARATOR, camera_info, shooting_info
from sync.rules import (
    ALT_TEXT_TOO_LONG,
    CAPTION_TOO_LONG,
    CONFLICT,
    FLAGGED_NOT_PUBLISHED,
    NO_USABLE_VERSION,
    SEVERAL_VERSIONS,
    SHARED_RECORD,
    TITLE_TOO_LONG,
    TOO_MANY_TAGS,
    Action,
    classify,
)

SETTINGS = Settings()
FLICKR_CREDENTIALS = FlickrCredentials()
PIXELFED_CREDENTIALS = PixelfedCredentials()
MASTODON_CREDENTIALS = MastodonCredentials()
CREDENTIALS = Credentials(
    {
        "flickr": FLICKR_CREDENTIALS,
        "pixelfed": PIXELFED_CREDENTIALS,
        "mastodon": MASTODON_CREDENTIALS,
    }
)
FAST = settings(max_examples=200, deadline=None)
GENRE = "Image Characteristics|Genre|"

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
# As build_photo delivers them: trimmed; blank lines inside are the user's own text, so
# they are left out here to let the "no empty block" property see only ours.
long_text = st.one_of(text, st.text(max_size=1200)).map(
    lambda t: re.sub(r"\n\s*\n", "\n", t).strip()
)
level = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
keyword = st.lists(level, min_size=1, max_size=4).map("|".join)
category = st.one_of(
    level.map(lambda g: GENRE + g),
    st.lists(level, min_size=1, max_size=4).map(lambda ls: "Location|" + "|".join(ls)),
    level.map(lambda a: "Socials|flickr|albums|" + a),
    st.lists(level, min_size=1, max_size=3).map("|".join),
)
POSTED = AttributeRecord(1, 1, {"photo_id": "9", "media_id": "8", "status_id": "9"})
"""A complete record on either platform."""
flag_sets = st.sets(st.sampled_from((FLAG_UPDATE, FLAG_METADATA, FLAG_DELETE)))


@st.composite
def photos(draw: st.DrawFn) -> Photo:
    categories = draw(st.dictionaries(category, text, max_size=5))
    posted = draw(st.booleans())
    return Photo(
        id=draw(st.integers(1, 10_000)),
        name=draw(st.text(min_size=1, max_size=20)),
        file=MediaFile(
            Path("/p/x.jpg"),
            draw(st.integers(0, 300 * 1024 * 1024)),
            draw(st.sampled_from(("JPEG", "PNG", "WebP", "RAF", "", "jpeg"))),
        ),
        file_exists=draw(st.booleans()),
        is_master=draw(st.booleans()),
        title=draw(long_text),
        description=draw(long_text),
        headline=draw(long_text),
        keywords=tuple(draw(st.lists(keyword, max_size=90))),
        date_taken=draw(st.none() | st.datetimes(datetime(1900, 1, 1), datetime(2100, 1, 1))),
        circa=draw(st.booleans()),
        iso=draw(st.sampled_from(("", "200", "6400"))),
        shutter_speed=draw(st.sampled_from(("", "1/250", "2"))),
        aperture=draw(st.sampled_from(("", "8.0", "0", "abc", "1.4"))),
        focal_length=draw(st.sampled_from(("", "35 mm"))),
        model=draw(st.sampled_from(("", "X-T5", "UltraFractal"))),
        lens=draw(st.sampled_from(("", "XF16-55mm"))),
        categories=categories,
        flags=frozenset(draw(flag_sets)),
        direct=draw(st.booleans()),
        records=(POSTED,) if posted else (),
        relation_errors=tuple(
            draw(st.sets(st.sampled_from((SEVERAL_VERSIONS, NO_USABLE_VERSION, SHARED_RECORD))))
        ),
    )


def shuffled(photo: Photo, data: st.DataObject) -> Photo:
    """The same photo with its keywords and categories in another order."""
    keywords = data.draw(st.permutations(photo.keywords))
    items = data.draw(st.permutations(list(photo.categories.items())))
    return dataclasses.replace(photo, keywords=tuple(keywords), categories=dict(items))


@FAST
@given(photos(), st.data())
def test_rendering_is_deterministic(photo: Photo, data: st.DataObject) -> None:
    other = shuffled(photo, data)
    assert render_flickr(photo, SETTINGS, FLICKR_CREDENTIALS) == render_flickr(
        other, SETTINGS, FLICKR_CREDENTIALS
    )
    assert render_pixelfed(photo, SETTINGS, PIXELFED_CREDENTIALS) == render_pixelfed(
        other, SETTINGS, PIXELFED_CREDENTIALS
    )


def no_empty_separators(block: str) -> None:
    for line in block.splitlines():
        parts = line.split(SEPARATOR)
        if len(parts) > 1:
            assert all(p.strip() for p in parts), line


@FAST
@given(photos())
def test_no_empty_separators_and_no_bare_hashtags(photo: Photo) -> None:
    no_empty_separators(shooting_info(photo))
    no_empty_separators(camera_info(photo))
    caption = render_pixelfed(photo, SETTINGS, PIXELFED_CREDENTIALS).post.caption
    # The hashtags are the keywords' (a title may well say "#" or "##1" as written).
    tags = pixelfed_hashtags(photo, SETTINGS)
    assert all(t.strip() and "#" not in t and " " not in t for t in tags), tags
    assert not tags or " ".join(f"#{t}" for t in tags) in caption
    assert "\n\n\n" not in caption
    assert not caption.startswith("\n")
    post = render_flickr(photo, SETTINGS, FLICKR_CREDENTIALS).post
    assert "\n\n\n" not in post.description
    assert not post.description.startswith("\n")
    assert all(t.strip() and t == " ".join(t.split()) for t in post.tags), post.tags
    assert post.title.strip() or not (photo.title or photo.name).strip()


@FAST
@given(photos(), st.sampled_from(("flickr", "pixelfed")))
def test_a_post_over_a_limit_always_carries_its_error_name(photo: Photo, platform: str) -> None:
    render = render_flickr if platform == "flickr" else render_pixelfed
    rendered = render(photo, SETTINGS, CREDENTIALS.of(platform))
    limits = default_limits(platform)
    checks = checks_for(platform, SETTINGS, limits)
    verdict = classify(photo, rendered.size, checks)
    if verdict.action not in (Action.ADD, Action.UPDATE, Action.METADATA):
        return
    # Whatever is sent fits the platform's limits.
    size = rendered.size
    for value, limit in (
        (size.caption_chars, limits.max_caption_chars),
        (size.alt_text_chars, limits.max_alt_text_chars),
        (size.tags, limits.max_tags),
        (size.title_chars, limits.max_title_chars),
    ):
        assert limit is None or value <= limit
    if platform == "pixelfed":
        assert len(rendered.post.caption) <= (limits.max_caption_chars or 0)


@FAST
@given(photos(), st.sampled_from(("flickr", "pixelfed")))
def test_classification_is_total_and_follows_the_priorities(photo: Photo, platform: str) -> None:
    render = render_flickr if platform == "flickr" else render_pixelfed
    size = render(photo, SETTINGS, CREDENTIALS.of(platform)).size
    checks = checks_for(platform, SETTINGS, default_limits(platform))
    verdict = classify(photo, size, checks)
    assert verdict.action in set(Action)
    assert list(verdict.errors) == sorted(set(verdict.errors))
    assert (verdict.action is Action.ERROR) == bool(verdict.errors)
    deleting = FLAG_DELETE in photo.flags
    changing = bool(photo.flags & {FLAG_UPDATE, FLAG_METADATA})
    unsure = SHARED_RECORD in photo.relation_errors
    if unsure:
        # Which post the photo is cannot be told: nothing acts on it.
        assert verdict.action is Action.ERROR
        assert SHARED_RECORD in verdict.errors
    elif deleting and changing:
        assert verdict.errors == (CONFLICT,)
    elif deleting:
        # _delete wins over anything wrong with the photo, posted or not.
        assert verdict.action is Action.DELETE
    elif not photo.on_platform and not photo.direct:
        # Only direct members of Socials|<platform> are ever published.
        assert verdict.errors == ((FLAGGED_NOT_PUBLISHED,) if changing else ())
    elif not photo.on_platform:
        assert verdict.action in (Action.ADD, Action.ERROR)
        assert set(photo.relation_errors) <= set(verdict.errors)
    elif FLAG_UPDATE in photo.flags:
        assert verdict.action in (Action.UPDATE, Action.ERROR)
    elif FLAG_METADATA in photo.flags:
        assert verdict.action in (Action.METADATA, Action.ERROR)
        assert not {"file not found", "invalid format", "file too large"} & set(verdict.errors)
    else:
        assert verdict.action is Action.UNCHANGED
    checked = (
        not unsure
        and not deleting
        and (photo.direct or photo.on_platform)
        and (not photo.on_platform or changing)
    )
    if checked:
        # A limit error is named exactly when the rendered post breaks that limit.
        for value, limit, name in (
            (size.caption_chars, checks.max_caption_chars, CAPTION_TOO_LONG),
            (size.alt_text_chars, checks.max_alt_text_chars, ALT_TEXT_TOO_LONG),
            (size.tags, checks.max_tags, TOO_MANY_TAGS),
            (size.title_chars, checks.max_title_chars, TITLE_TOO_LONG),
        ):
            assert (name in verdict.errors) == (limit is not None and value > limit), name


# --- keyword filters: private names stay private, however anything is spelled ----------

PUBLIC_LETTERS = "abcdefghiklmnop"
PRIVATE_LETTERS = "jqxz"
public_word = st.text(st.sampled_from(PUBLIC_LETTERS), min_size=1, max_size=8)
# Private names start with `zq`, which no public word, fixed text or month name contains.
private_word = st.text(st.sampled_from(PRIVATE_LETTERS), max_size=6).map(lambda t: "zq" + t)
FILTER_SETTINGS = settings(max_examples=300, deadline=None)


@st.composite
def spelled(draw: st.DrawFn, path: tuple[str, ...]) -> str:
    """`path` written as a user or IMatch might: any case, spaces (or no-break spaces)
    around levels, empty levels, a trailing or leading `|`, a zero-width space inside a
    level, full-width letters."""
    parts = []
    for level in path:
        chars = []
        for char in level:
            if draw(st.booleans()):
                char = char.upper()
            if char.isascii() and char.isalpha() and draw(st.integers(0, 9)) == 0:
                char = chr(ord(char) + 0xFEE0)  # full-width form
            chars.append(char)
        if draw(st.booleans()):
            chars.insert(draw(st.integers(0, len(chars))), "\u200b")
        pad = draw(st.sampled_from(("", " ", "  ", "\u00a0")))
        parts.append(pad + "".join(chars) + draw(st.sampled_from(("", " "))))
        if draw(st.integers(0, 4)) == 0:
            parts.append(draw(st.sampled_from(("", " "))))
    text = "|".join(parts)
    return draw(st.sampled_from(("", "|"))) + text + draw(st.sampled_from(("", "|", " | ")))


def squashed(text: str) -> str:
    """Letters and digits only, compatibility form, case-folded: how a name could show."""
    normal = unicodedata.normalize("NFKC", text).casefold()
    return "".join(c for c in normal if c.isalnum())


def published_text(photo: Photo, settings_: Settings) -> str:
    flickr = render_flickr(photo, settings_, FLICKR_CREDENTIALS).post
    pixelfed = render_pixelfed(photo, settings_, PIXELFED_CREDENTIALS).post
    mastodon = render_mastodon(photo, settings_, MASTODON_CREDENTIALS).post
    parts = [
        *flickr.tags,
        flickr.title,
        flickr.description,
        pixelfed.caption,
        pixelfed.alt_text,
        mastodon.caption,
        mastodon.alt_text,
    ]
    return "\n".join(parts)


def assert_private(names: list[str], photo: Photo, settings_: Settings) -> None:
    shown = squashed(published_text(photo, settings_))
    leaked = [name for name in names if squashed(name) in shown]
    assert leaked == [], (photo.keywords, photo.categories, settings_.keywords)


def public_photo(draw: st.DrawFn) -> Photo:
    words = st.lists(public_word, min_size=1, max_size=4)
    return Photo(
        id=1,
        name="x.jpg",
        file=MediaFile(Path("/p/x.jpg"), 1000, "JPEG"),
        file_exists=True,
        title=" ".join(draw(words)),
        description=" ".join(draw(words)),
        headline=" ".join(draw(words)),
        keywords=tuple(draw(st.lists(words.map("|".join), max_size=5))),
        date_taken=datetime(2024, 3, 5, 6, 42, 10),
        categories=dict.fromkeys(draw(st.lists(public_word.map(GENRE.__add__), max_size=2)), ""),
    )


@FILTER_SETTINGS
@given(st.data())
def test_no_excluded_path_in_any_spelling_is_ever_published(data: st.DataObject) -> None:
    draw = data.draw
    photo = public_photo(draw)
    private: list[str] = []
    excluded: list[str] = []
    keywords = list(photo.keywords)
    categories = dict(photo.categories)
    # A private keyword (and anything below it), e.g. `places|home|Elm Street 5`.
    for _ in range(draw(st.integers(1, 3))):
        root, secret = draw(public_word), draw(private_word)
        below = draw(st.lists(private_word, max_size=2))
        private += [secret, *below]
        excluded.append(draw(spelled((root, secret))))
        keywords.append(draw(spelled((root, secret, *below))))
    # Private places, events and genres from categories.
    for base in (
        ("Location", draw(public_word)),
        ("Event", "Festival"),
        ("Image Characteristics", "Genre"),
    ):
        if draw(st.booleans()):
            secret = draw(private_word)
            private.append(secret)
            excluded.append(draw(spelled((*base, secret))))
            categories["|".join((*base, secret, *draw(st.lists(public_word, max_size=1))))] = ""
    photo = dataclasses.replace(
        photo, keywords=tuple(draw(st.permutations(keywords))), categories=categories
    )
    settings_ = dataclasses.replace(
        SETTINGS, keywords=dataclasses.replace(SETTINGS.keywords, exclude=tuple(excluded))
    )
    assert_private(private, photo, settings_)


@FILTER_SETTINGS
@given(st.data())
def test_nothing_outside_the_include_roots_in_any_spelling_is_ever_published(
    data: st.DataObject,
) -> None:
    draw = data.draw
    photo = public_photo(draw)
    roots = draw(st.lists(public_word, min_size=1, max_size=2, unique=True))
    private = draw(st.lists(private_word, min_size=1, max_size=3))
    keywords = [
        draw(spelled((draw(st.sampled_from(roots)), draw(public_word)))),
        *(draw(spelled((name, draw(public_word)))) for name in private),
    ]
    categories = {
        f"Location|{draw(public_word)}|{private[0]}": "",
        f"Event|Festival|{private[-1]}": "",
        f"{GENRE}{private[0]}": "",
    }
    photo = dataclasses.replace(photo, keywords=tuple(keywords), categories=categories)
    include = tuple(draw(spelled((root,))) for root in roots)
    settings_ = dataclasses.replace(
        SETTINGS, keywords=dataclasses.replace(SETTINGS.keywords, include_roots=include)
    )
    assert_private(private, photo, settings_)


# Text that is hard for a size bound: the user's own hashtags (both `#` signs), short
# URLs (Mastodon counts each as 23), mentions, tag openers and joined graphemes.
tricky_text = st.lists(
    st.one_of(
        text,
        st.sampled_from(
            ("#dawn", "\uff03fog", "##1", "http://a.b", "https://x.y/z.", "@al@ex.org", "<3")
        ),
        st.sampled_from(("e\u0301", "\U0001f1eb\U0001f1f7", "\u200d", "\r\n", "  ")),
    ),
    max_size=8,
).map("".join)


@FAST
@given(
    photos(),
    st.lists(tricky_text, min_size=5, max_size=5),
    st.sampled_from(("flickr", "pixelfed", "mastodon")),
)
def test_a_size_bound_is_never_below_the_rendered_post_nor_changes_a_verdict(
    photo: Photo, texts: list[str], platform: str
) -> None:
    from sync.plan import planning_size
    from sync.platforms import registry

    title, headline, model, lens, iso = (t.strip() for t in texts)
    photo = dataclasses.replace(photo, title=title, headline=headline, model=model, lens=lens)
    photo = dataclasses.replace(photo, iso=iso or photo.iso)
    spec = registry.spec(platform)
    assert spec.size_bound is not None
    credentials = CREDENTIALS.of(platform)
    exact = spec.render(photo, SETTINGS, credentials).size
    bound = spec.size_bound(photo, SETTINGS)
    for measure in ("title_chars", "caption_chars", "alt_text_chars", "tags"):
        assert getattr(bound, measure) >= getattr(exact, measure), measure
    checks = checks_for(platform, SETTINGS, default_limits(platform))
    size = planning_size(
        spec.size_bound, lambda p: spec.render(p, SETTINGS, credentials), SETTINGS, checks, photo
    )
    # Planned by its bound or by its rendered post, a photo gets the same verdict.
    assert classify(photo, size, checks) == classify(photo, exact, checks)
