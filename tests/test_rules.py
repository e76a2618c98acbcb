"""Classification, table-driven: every flag combination, posted or not, valid or not."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from imatch.models import AttributeRecord
from sync.photo import Photo
from sync.platforms.base import MediaFile
from sync.rendering import PostSize
from sync.rules import (
    CONFLICT,
    FILE_NOT_FOUND,
    FILE_TOO_LARGE,
    INVALID_FORMAT,
    IS_MASTER,
    MISSING_DESCRIPTION,
    MISSING_GENRE,
    MISSING_HEADLINE,
    MISSING_KEYWORDS,
    MISSING_TITLE,
    Action,
    Checks,
    classify,
)

CHECKS = Checks(
    require=frozenset({"title", "description", "keywords", "genre"}),
    formats=frozenset({"JPEG"}),
    max_file_bytes=1000,
    max_caption_chars=100,
    max_alt_text_chars=50,
    max_tags=5,
)
SIZE = PostSize(title_chars=10, caption_chars=50, alt_text_chars=10, tags=3)
RECORD = AttributeRecord(instance_id=1, file_id=7, values={"photo_id": "99"})


def photo(*flags: str, posted: bool = False, **changes: object) -> Photo:
    base = Photo(
        id=7,
        name="a.jpg",
        file=MediaFile(Path("/a.jpg"), 500, "JPEG"),
        file_exists=True,
        title="t",
        description="d",
        headline="h",
        keywords=("a|b",),
        categories={"Image Characteristics|Genre|landscape": ""},
        flags=frozenset(flags),
        records=(RECORD,) if posted else (),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("flags", "posted", "action", "errors"),
    [
        ((), False, Action.ADD, ()),
        ((), True, Action.UNCHANGED, ()),
        (("update",), True, Action.UPDATE, ()),
        (("metadata",), True, Action.METADATA, ()),
        (("update", "metadata"), True, Action.UPDATE, ()),
        (("delete",), True, Action.DELETE, ()),
        (("delete",), False, Action.DELETE, ()),
        # Not yet posted: added whatever the update flags say (the flags are then cleared).
        (("update",), False, Action.ADD, ()),
        (("metadata",), False, Action.ADD, ()),
        (("update", "delete"), True, Action.ERROR, (CONFLICT,)),
        (("metadata", "delete"), True, Action.ERROR, (CONFLICT,)),
        (("update", "delete"), False, Action.ERROR, (CONFLICT,)),
        (("update", "metadata", "delete"), True, Action.ERROR, (CONFLICT,)),
    ],
)
def test_flags_and_posting(
    flags: tuple[str, ...], posted: bool, action: Action, errors: tuple[str, ...]
) -> None:
    verdict = classify(photo(*flags, posted=posted), SIZE, CHECKS)
    assert verdict.action is action
    assert verdict.errors == errors


def test_delete_of_a_never_posted_photo_is_reported() -> None:
    verdict = classify(photo("delete"), SIZE, CHECKS)
    assert "never posted" in verdict.note


def test_delete_wins_over_missing_metadata() -> None:
    broken = photo("delete", posted=True, title="", keywords=(), file_exists=False)
    assert classify(broken, SIZE, CHECKS).action is Action.DELETE


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"title": "  "}, MISSING_TITLE),
        ({"description": ""}, MISSING_DESCRIPTION),
        ({"keywords": ()}, MISSING_KEYWORDS),
        ({"categories": {"Other|x": ""}}, MISSING_GENRE),
        ({"file_exists": False}, FILE_NOT_FOUND),
        ({"file": MediaFile(Path("/a.webp"), 500, "WebP")}, INVALID_FORMAT),
        ({"file": MediaFile(Path("/a.jpg"), 1001, "JPEG")}, FILE_TOO_LARGE),
    ],
)
def test_each_error_name(changes: dict[str, object], error: str) -> None:
    verdict = classify(photo(**changes), SIZE, CHECKS)
    assert verdict.action is Action.ERROR
    assert verdict.errors == (error,)


@pytest.mark.parametrize(
    ("size", "error"),
    [
        (PostSize(caption_chars=101), "caption too long"),
        (PostSize(alt_text_chars=51), "alt text too long"),
        (PostSize(tags=6), "too many tags"),
    ],
)
def test_limits_become_error_names_instead_of_rejections(size: PostSize, error: str) -> None:
    verdict = classify(photo(), size, CHECKS)
    assert verdict.errors == (error,)


def test_headline_only_when_required() -> None:
    assert classify(photo(headline=""), SIZE, CHECKS).action is Action.ADD
    strict = dataclasses.replace(CHECKS, require=CHECKS.require | {"headline"})
    assert classify(photo(headline=""), SIZE, strict).errors == (MISSING_HEADLINE,)


def test_all_errors_are_collected_sorted() -> None:
    verdict = classify(photo(title="", keywords=(), file_exists=False), SIZE, CHECKS)
    assert verdict.errors == (FILE_NOT_FOUND, MISSING_KEYWORDS, MISSING_TITLE)


def test_master_is_reported_without_the_noise_of_its_raw_file() -> None:
    master = photo(is_master=True, file=MediaFile(Path("/a.RAF"), 10**9, "RAF"), file_exists=False)
    assert classify(master, SIZE, CHECKS).errors == (IS_MASTER,)


def test_metadata_update_ignores_file_problems() -> None:
    gone = photo("metadata", posted=True, file_exists=False)
    assert classify(gone, SIZE, CHECKS).action is Action.METADATA
    assert classify(photo("update", posted=True, file_exists=False), SIZE, CHECKS).errors == (
        FILE_NOT_FOUND,
    )


def test_posted_photo_without_flags_is_left_alone_even_if_incomplete() -> None:
    assert classify(photo(posted=True, title=""), SIZE, CHECKS).action is Action.UNCHANGED


def test_plan_item_lookup_follows_replacements_and_growth():
    from imatch.library import Publication
    from sync.plan import Plan, PlanItem
    from sync.rendering import Rendered

    def item(file_id: int, action: Action) -> PlanItem:
        verdict = classify(photo(id=file_id), SIZE, CHECKS)
        return PlanItem(
            photo(id=file_id), dataclasses.replace(verdict, action=action), Rendered(None, SIZE)
        )

    plan = Plan(
        "flickr", Publication("Socials|flickr", True), [item(n, Action.ADD) for n in (3, 5, 9)]
    )
    assert plan.item(5) is plan.items[1]
    plan.items[1] = item(5, Action.UNCHANGED)  # replaced in place, as the engine does
    assert plan.item(5).action is Action.UNCHANGED  # type: ignore[union-attr]
    plan.items.append(item(11, Action.ADD))
    assert plan.item(11) is plan.items[3]
    assert plan.item(4) is None
    plan.items.reverse()
    assert plan.item(3) is plan.items[3]
