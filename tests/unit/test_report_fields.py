"""The dry run's JSON carries every provenance field (built without `asdict`)."""

from __future__ import annotations


def test_provenance_fields_are_every_field() -> None:
    from dataclasses import asdict

    from sync.provenance import Provenance, provenance_fields

    found = Provenance(file="a.jpg", metadata="its own", post="none")
    assert provenance_fields(found) == asdict(found)


def test_the_limit_errors_are_those_limit_detail_gives_numbers_for() -> None:
    """The dry run renders a post again only for these (a listing of 10,000 photos with
    other errors must not render each again)."""
    from sync.error_names import (
        ALT_TEXT_TOO_LONG,
        CAPTION_TOO_LONG,
        TITLE_TOO_LONG,
        TOO_MANY_TAGS,
    )
    from sync.limit_details import LIMIT_ERRORS, limit_detail
    from sync.platforms.base import Limits
    from sync.rendering import PostSize

    size = PostSize(title_chars=900, caption_chars=900, alt_text_chars=900, tags=900)
    limits = Limits(
        max_file_bytes=1,
        formats=frozenset({"JPEG"}),
        max_title_chars=1,
        max_caption_chars=1,
        max_alt_text_chars=1,
        max_tags=1,
    )
    named = {CAPTION_TOO_LONG, ALT_TEXT_TOO_LONG, TITLE_TOO_LONG, TOO_MANY_TAGS}
    assert {name for name in named if limit_detail(name, size, limits)} == LIMIT_ERRORS
    assert limit_detail("missing title", size, limits) == ""
