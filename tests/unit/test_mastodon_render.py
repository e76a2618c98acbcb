"""Mastodon's renderer, settings, text counting, fix texts and detail fields (no HTTP)."""

from __future__ import annotations

import ast
import dataclasses
from datetime import datetime
from pathlib import Path

import pytest

from imatch.models import AppVariables
from sync.config import PlatformSettings, Settings
from sync.photo import Photo
from sync.platforms.base import MediaFile, RateLimiter
from sync.platforms.mastodon import (
    FIX_TEXTS,
    MastodonConfigError,
    MastodonCredentials,
    MastodonPlatform,
    credentials_from,
    default_limits,
    default_settings,
    detail_fields,
    limits_from_instance,
    open_mastodon,
    render_mastodon,
    setup_problem,
)
from sync.platforms.mastodon import errors as errors_module
from sync.platforms.mastodon.text import countable_length, grapheme_count, hashtags_in

SETTINGS = Settings()
CREDENTIALS = MastodonCredentials("token", "https://mastodon.example", "unlisted")
PACKAGE = Path(errors_module.__file__).parent


def example(**changes: object) -> Photo:
    """DESIGN.md section 9's worked example."""
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
        categories={"Image Characteristics|Genre|landscape": "", "Socials|mastodon": ""},
    )
    return dataclasses.replace(photo, **changes)  # type: ignore[arg-type]


# --- rendering ----------------------------------------------------------------------------


def test_the_worked_example_renders_like_pixelfed() -> None:
    rendered = render_mastodon(example(), SETTINGS, CREDENTIALS)
    post = rendered.post
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
    assert rendered.size.caption_chars == len(post.caption)
    assert rendered.size.tags == 6
    assert rendered.warnings == ()


def test_hashtags_without_a_letter_are_left_out() -> None:
    post = render_mastodon(
        example(keywords=("years|2024", "Lantern Festival")), SETTINGS, CREDENTIALS
    )
    assert "#2024" not in post.post.caption
    assert "#LanternFestival" in post.post.caption


def test_links_count_23_and_mentions_are_a_warning() -> None:
    link = "https://example.org/" + "a" * 200
    rendered = render_mastodon(
        example(headline=f"Seen with @natgeo at {link}"), SETTINGS, CREDENTIALS
    )
    assert rendered.size.caption_chars == len(rendered.post.caption) - len(link) + 23
    assert rendered.warnings == ("the text mentions @natgeo: Mastodon will notify that account",)
    assert rendered.size.alt_text_chars == len(f"Seen with @natgeo at {link}")


def test_html_looking_text_is_kept_as_written() -> None:
    post = render_mastodon(example(title="Sunset <3 & a <b>bold</b> sky"), SETTINGS, CREDENTIALS)
    assert post.post.caption.startswith("Sunset <3 & a <b>bold</b> sky -- ")


@pytest.mark.parametrize(
    ("text", "length"),
    [
        ("e\u0301te\u0301", 3),  # decomposed accents
        ("\U0001f1e9\U0001f1ea\U0001f1eb\U0001f1f7", 2),  # two flags
        ("\U0001f468\u200d\U0001f469\u200d\U0001f467", 1),  # a family (ZWJ sequence)
        ("\U0001f44d\U0001f3fd", 1),  # skin tone modifier
        ("a\r\nb", 3),
    ],
)
def test_graphemes_are_counted_as_one(text: str, length: int) -> None:
    assert grapheme_count(text) == length


def test_countable_length_follows_the_status_length_validator() -> None:
    assert countable_length("see https://example.org/x/y/z.") == len("see ") + 23 + 1
    assert countable_length("hi @alice@mastodon.example") == len("hi @alice")
    assert countable_length("mail me@example.org") == len("mail me@example.org")
    assert hashtags_in("#lake and #2024 not#this\n#fog_2") == ["lake", "fog_2"]


# --- settings and credentials -------------------------------------------------------------


def test_credentials_come_from_environment_config_and_app_variables() -> None:
    variables = AppVariables(
        {
            "mastodon_token": "from-imatch",
            "mastodon_url": "https://imatch.example",
            "mastodon_visibility": "Private",
        }
    )
    plain = credentials_from(variables, PlatformSettings(), environ={})
    assert (plain.mastodon_token, plain.mastodon_url, plain.mastodon_visibility) == (
        "from-imatch",
        "https://imatch.example",
        "private",
    )
    assert "from-imatch" not in repr(plain)
    overridden = credentials_from(
        variables,
        PlatformSettings(url="https://config.example", visibility="direct"),
        environ={"IMATCH_SOCIALS_MASTODON_TOKEN": "from-env"},
    )
    assert (overridden.mastodon_token, overridden.mastodon_url) == (
        "from-env",
        "https://config.example",
    )
    assert overridden.mastodon_visibility == "direct"
    assert (
        credentials_from(AppVariables({}), PlatformSettings(), {}).mastodon_visibility == "public"
    )


@pytest.mark.parametrize(
    ("credentials", "named"),
    [
        (MastodonCredentials("t", "", "public"), "mastodon_url"),
        (MastodonCredentials("t", "mastodon.social", "public"), "https://"),
        (MastodonCredentials("t", "http://mastodon.social", "public"), "plain http"),
        (MastodonCredentials("", "https://mastodon.social", "public"), "mastodon_token"),
        (MastodonCredentials("t", "https://mastodon.social", "friends"), "mastodon_visibility"),
    ],
)
def test_set_up_problems_name_the_setting(credentials: MastodonCredentials, named: str) -> None:
    problem = setup_problem(credentials)
    assert problem is not None
    assert named in problem
    with pytest.raises(MastodonConfigError, match=named):
        open_mastodon(default_settings(), credentials)
    assert issubclass(MastodonConfigError, ValueError)


async def test_open_mastodon_builds_the_adapter_with_the_limiter() -> None:
    limiter = RateLimiter(rate_per_hour=100)
    platform = open_mastodon(default_settings(), CREDENTIALS, limiter)
    assert isinstance(platform, MastodonPlatform)
    assert platform.base_url == "https://mastodon.example"
    await platform.close()


def test_default_settings_and_limits_are_mastodons() -> None:
    settings = default_settings()
    assert "headline" in settings.require  # the alt text
    assert settings.rate_per_hour <= 3600  # 300 calls per 5 minutes
    limits = default_limits()
    assert (limits.max_caption_chars, limits.max_alt_text_chars) == (500, 1500)
    assert limits.max_file_bytes == 16 * 1024 * 1024
    server = limits_from_instance(
        {"configuration": {"media_attachments": {"image_matrix_limit": 9}}}
    )
    assert server.max_pixels == 9


# --- error names and the detail pane --------------------------------------------------------


def test_every_error_name_the_package_raises_has_a_fix_text() -> None:
    from sync.error_names import registered

    # Its own names have its fix texts; a name shared with the core has the core's.
    assert set(errors_module.ERROR_NAMES) <= set(registered())
    assert set(FIX_TEXTS) <= set(errors_module.ERROR_NAMES)
    assert all(text.strip() for text in FIX_TEXTS.values())
    for module in PACKAGE.glob("*.py"):
        tree = ast.parse(module.read_text())
        for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
            if getattr(call.func, "id", "") == "PermanentError" and call.args:
                first = call.args[0]
                assert isinstance(first, ast.Name), f"{module.name}: name errors by constant"
                assert getattr(errors_module, first.id) in registered(), first.id
    assert errors_module.NotFoundError().error_name in registered()
    assert errors_module.MediaUnavailable("x").error_name in registered()


def test_detail_fields_show_what_is_sent() -> None:
    post = render_mastodon(example(), SETTINGS, MastodonCredentials(mastodon_visibility="direct"))
    rows = dict(detail_fields(post.post))
    assert rows["Text"] == post.post.caption
    assert rows["Alt text"] == post.post.alt_text
    assert rows["Visibility"] == "direct (only the accounts it mentions)"
    assert rows["Hashtags"].startswith("#lake #landscape")
    assert rows["Length"].startswith(f"{len(post.post.caption)} characters")


@pytest.mark.parametrize(
    "text",
    [
        "Morning fog -- https://example.org/a/b?c=d, and more.",
        "(see https://example.org/x) @bob@social.example @carol hi",
        "Caf\u00e9 e\u0301 \U0001f1ef\U0001f1f5\U0001f1ef\U0001f1f5 \U0001f44d\U0001f3fd #tag\r\n",
        "mail me@example.org or /@path and =@x",
        "\U0001f468\u200d\U0001f469\u200d\U0001f467 family",
    ],
)
def test_the_renderer_counts_as_the_simulated_server_does(text: str) -> None:
    from sandbox.mastodon_text import status_length

    assert countable_length(text) == status_length(text, "")


def test_counting_plain_ascii_takes_a_short_cut_with_the_same_answer() -> None:
    import random

    from sync.platforms.mastodon import text

    pieces = ["a", " ", "\r\n", "\r", "\n", "#tag", "x" * 30, "\t", "~"]
    chooser = random.Random(17)
    for _ in range(200):
        sample = "".join(chooser.choice(pieces) for _ in range(chooser.randrange(0, 40)))
        assert text.grapheme_count(sample) == text._grapheme_count_by_character(sample)
    assert text.grapheme_count("e\u0301\r\n") == 2  # not ASCII: the long way


def test_text_without_urls_or_mentions_is_counted_as_with_the_replacements() -> None:
    from sync.platforms.mastodon import text

    def the_long_way(sample: str) -> int:
        counted = text._URL.sub(lambda m: text._url_replacement(m.group(0), 23), sample)
        counted = text._MENTION.sub(lambda m: f"@{m.group(1)}", counted)
        return text.grapheme_count(counted)

    samples = ["Fog #lake", "a@b", "see https://example.org/x.", "HTTP://A.B", "caf\u00e9 ://"]
    for sample in samples:
        assert text.countable_length(sample) == the_long_way(sample)
