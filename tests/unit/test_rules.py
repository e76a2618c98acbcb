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
    FLAGGED_NOT_PUBLISHED,
    INVALID_FORMAT,
    MISSING_DESCRIPTION,
    MISSING_GENRE,
    MISSING_HEADLINE,
    MISSING_KEYWORDS,
    MISSING_TITLE,
    NO_USABLE_VERSION,
    RECORD_INCOMPLETE,
    RECORDS_ON_RELATIVES,
    SEVERAL_VERSIONS,
    SHARED_RECORD,
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


@pytest.mark.parametrize("error", [SEVERAL_VERSIONS, NO_USABLE_VERSION])
def test_a_master_without_one_version_to_upload_is_named_without_its_raw_files_noise(
    error: str,
) -> None:
    raw = MediaFile(Path("/a.RAF"), 10**9, "RAF")
    master = photo(is_master=True, file=raw, file_exists=False, relation_errors=(error,))
    assert classify(master, SIZE, CHECKS).errors == (error,)
    # A master with one version to upload is a photo like any other.
    assert classify(photo(is_master=True), SIZE, CHECKS).action is Action.ADD
    assert classify(photo("update", is_master=True, posted=True), SIZE, CHECKS).replace_image


@pytest.mark.parametrize(
    ("flags", "action", "errors"),
    [
        # Item 3 of issue 12: a stray flag never publishes anything.
        (("update",), Action.ERROR, (FLAGGED_NOT_PUBLISHED,)),
        (("metadata",), Action.ERROR, (FLAGGED_NOT_PUBLISHED,)),
        (("update", "metadata"), Action.ERROR, (FLAGGED_NOT_PUBLISHED,)),
        (("delete",), Action.DELETE, ()),
    ],
)
def test_flags_on_a_photo_neither_posted_nor_in_socials(
    flags: tuple[str, ...], action: Action, errors: tuple[str, ...]
) -> None:
    verdict = classify(photo(*flags, direct=False), SIZE, CHECKS)
    assert (verdict.action, verdict.errors) == (action, errors)
    assert "Socials" in verdict.note if errors else "never posted" in verdict.note
    # On the platform (through its own record or a relative's), flags act as usual.
    posted = classify(photo(*flags, direct=False, posted=True), SIZE, CHECKS)
    assert posted.action is {"update": Action.UPDATE, "metadata": Action.METADATA}.get(
        flags[0], Action.DELETE
    )


KEYED = dataclasses.replace(CHECKS, record_keys=("photo_id",))


@pytest.mark.parametrize("flags", [(), ("update",), ("metadata",), ("delete",)])
@pytest.mark.parametrize("value", ["", "   ", None, "\u200b", "\u00a0\u200d\ufeff"])
def test_a_record_without_its_id_is_an_error_found_at_planning(
    flags: tuple[str, ...], value: str | None
) -> None:
    values = {"posted": "2024-06-01"} if value is None else {"photo_id": value}
    empty = AttributeRecord(instance_id=1, file_id=7, values=values)
    verdict = classify(photo(*flags, records=(empty,)), SIZE, KEYED)
    assert (verdict.action, verdict.errors) == (Action.ERROR, (RECORD_INCOMPLETE,))


def test_records_of_different_posts_on_master_and_version_are_an_error() -> None:
    on_master = AttributeRecord(instance_id=2, file_id=3, values={"photo_id": "55"})
    same_post = AttributeRecord(instance_id=3, file_id=3, values={"photo_id": "99"})
    for flags in [(), ("delete",), ("update",)]:
        verdict = classify(photo(*flags, records=(RECORD, on_master)), SIZE, KEYED)
        assert verdict.errors == (RECORDS_ON_RELATIVES,)
    # The same post recorded on both (IMatch may propagate records to versions) is one post.
    assert classify(photo(records=(RECORD, same_post)), SIZE, KEYED).action is Action.UNCHANGED
    shared = photo("delete", posted=True, relation_errors=(SHARED_RECORD,))
    assert classify(shared, SIZE, KEYED).errors == (SHARED_RECORD,)


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


def test_every_error_name_planning_gives_has_a_fix_text() -> None:
    from sync.rules import ERROR_NAMES
    from tui.widgets.fixes import FIXES

    assert [name for name in ERROR_NAMES if name not in FIXES] == []


def test_only_the_required_fields_are_looked_at(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 17: every photo's genre was looked for (a walk over its categories) and each
    text stripped, required or not."""
    import sync.rules

    def not_to_be_called(*args: object) -> bool:
        raise AssertionError("the genre was looked for though it is not required")

    monkeypatch.setattr(sync.rules, "has_genre", not_to_be_called)
    lenient = dataclasses.replace(CHECKS, require=frozenset({"title"}))
    assert classify(photo(categories={}), SIZE, lenient).action is Action.ADD
    untitled = classify(photo(title=" ", categories={}), SIZE, lenient)
    assert untitled.errors == (MISSING_TITLE,)
