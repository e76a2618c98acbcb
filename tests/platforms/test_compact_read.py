"""What a scan keeps in memory (issue 17): one copy of text that repeats, no empty
values, and one file object and one `stat` per file for all the platforms of a scan."""

from __future__ import annotations

import gc
import os
from datetime import datetime

import httpx
import pytest

from imatch.client import IMatchClient
from imatch.library import read_publication
from sandbox.imatch_server import IMatchSimulator
from sync.photo import build_photos


async def test_file_values_keep_only_what_is_set_and_repeated_text_once(
    imatch: IMatchClient,
) -> None:
    pub = await read_publication(imatch, "Socials|flickr", "flickr")
    files = list(pub.files.values())
    assert all(value not in ("", ()) for info in files for value in info.values.values())
    assert any(info.text("headline") == "" for info in files), "some files have no headline"
    makes = [info.values["make"] for info in files if info.text("make") == "FUJIFILM"]
    assert len(makes) > 1
    assert all(make is makes[0] for make in makes)  # one string, not one per file
    formats = [info.format for info in files if info.format == "JPEG"]
    assert all(f is formats[0] for f in formats)
    refs = [ref for refs in pub.categories.values() for ref in refs]
    by_path: dict[str, object] = {}
    for ref in refs:
        assert by_path.setdefault(ref.path, ref) is ref  # one CategoryRef per category


async def test_file_values_are_two_tuples_read_like_a_dict_with_one_tuple_of_names(
    imatch: IMatchClient,
) -> None:
    pub = await read_publication(imatch, "Socials|flickr", "flickr")
    files = [info for info in pub.files.values() if info.values]
    assert files
    for info in files:
        values = info.values
        assert not isinstance(values, dict)  # no dict (and its table) per file...
        as_dict = dict(values.items())  # ...yet read like one
        assert values == as_dict
        assert len(values) == len(as_dict)
        assert list(values) == list(as_dict)
        for key, value in as_dict.items():
            assert values[key] is value
            assert values.get(key) is value
        assert values.get("no such value") is None
        assert "no such value" not in values
        with pytest.raises(KeyError):
            values["no such value"]
    # Files with the same values set share one tuple of their names.
    names: dict[tuple[str, ...], object] = {}
    for info in files:
        key = tuple(info.values)
        assert names.setdefault(key, info.values._names) is info.values._names  # type: ignore[attr-defined]
    assert len(names) < len(files)


async def test_platforms_share_each_file_and_stat_it_once(
    imatch: IMatchClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    flickr = await read_publication(imatch, "Socials|flickr", "flickr")
    pixelfed = await read_publication(imatch, "Socials|pixelfed", "pixelfed", reuse=flickr)
    stats: list[str] = []
    real_stat = os.stat

    def counting_stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        stats.append(str(path))
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", counting_stat)
    flickr_photos = {p.id: p for p in build_photos(flickr)}
    looked_at_for_flickr = set(stats)
    pixelfed_photos = {p.id: p for p in build_photos(pixelfed)}
    both = set(flickr_photos) & set(pixelfed_photos)
    assert both
    for file_id in both:
        # One source (file, texts, keywords, categories) for both platforms' photos.
        assert flickr_photos[file_id].source is pixelfed_photos[file_id].source
        assert flickr_photos[file_id].file is pixelfed_photos[file_id].file
        assert flickr_photos[file_id].fingerprint == pixelfed_photos[file_id].fingerprint
    assert len(stats) == len(set(stats)), "each file is looked at once per scan"
    # A new scan (no reuse) looks at the files again: an edited file must be seen.
    again = await read_publication(imatch, "Socials|flickr", "flickr")
    stats.clear()
    build_photos(again)
    assert sorted(stats) == sorted(looked_at_for_flickr)


async def test_sets_that_repeat_across_photos_are_one_object(imatch: IMatchClient) -> None:
    photos = build_photos(await read_publication(imatch, "Socials|flickr", "flickr"))
    for field in ("flags", "text_from_master", "current_errors"):
        seen: dict[frozenset[str], frozenset[str]] = {}
        for photo in photos:
            value = getattr(photo, field)
            assert seen.setdefault(value, value) is value, field
    keywords = [k for photo in photos for k in photo.keywords]
    by_text: dict[str, str] = {}
    assert all(by_text.setdefault(k, k) is k for k in keywords)


async def test_a_photo_of_one_file_keeps_no_names_of_its_own_yet_names_every_file(
    imatch: IMatchClient,
) -> None:
    from sync.provenance import provenance

    photos = build_photos(await read_publication(imatch, "Socials|flickr", "flickr"))
    single = [p for p in photos if not p.relatives and p.upload_id == p.id]
    assert single
    assert all(not p.names and p.name_of(p.id) == p.name for p in single)
    assert all(p.name_of(p.id + 10**9) == "" for p in single)
    related = [p for p in photos if p.relatives]
    assert related
    for photo in related:
        assert all(photo.name_of(r) == photo.names[r] for r in photo.relatives)
        assert provenance(photo).metadata  # names the master or the file itself


@pytest.mark.parametrize("platform", ["flickr", "pixelfed", "mastodon"])
async def test_a_plan_renders_a_post_again_only_when_asked_and_the_same_as_before(
    imatch: IMatchClient, platform: str
) -> None:
    from sync.config import Credentials, Settings
    from sync.plan import make_plan
    from sync.platforms import registry

    settings, credentials = Settings(), Credentials()
    pub = await read_publication(imatch, f"Socials|{platform}", platform)
    plan = make_plan(platform, pub, settings, credentials, None)
    assert plan.items
    # Nothing rendered is kept for photos nobody has looked at...
    assert all(item.kept_rendering is None for item in plan.items)
    render = registry.spec(platform).render
    for item in plan.items:
        eager = render(item.photo, settings, credentials.of(platform))
        # ...and what is made when asked is what planning measured and rendered.
        assert item.rendered == eager
        assert item.rendered.size == eager.size
        assert item.rendered is item.rendered  # made once, then the same post
    assert all(item.kept_rendering is not None for item in plan.items)


async def test_a_dry_run_in_words_holds_no_row_per_photo_yet_shows_the_json_rows(
    imatch: IMatchClient,
) -> None:
    import io

    from sync.config import Credentials, Settings
    from sync.plan import make_plan
    from sync.report import Reporter

    pub = await read_publication(imatch, "Socials|flickr", "flickr")
    plan = make_plan("flickr", pub, Settings(), Credentials(), None)
    in_words = Reporter(io.StringIO(), json_mode=False)
    in_words.plan(plan, dry_run=True)
    as_json = Reporter(io.StringIO(), json_mode=True)
    as_json.plan(plan, dry_run=True)
    rows = in_words.results["flickr"]["photos"]
    assert not isinstance(rows, list)  # made when read, not held for every photo
    assert isinstance(as_json.results["flickr"]["photos"], list)
    assert list(rows) == as_json.results["flickr"]["photos"]
    assert len(rows) == len(plan.items)
    assert rows[-1] == as_json.results["flickr"]["photos"][-1]
    assert rows[1:3] == as_json.results["flickr"]["photos"][1:3]


async def test_what_depends_on_the_file_alone_is_one_copy_for_all_platforms(
    imatch: IMatchClient,
) -> None:
    flickr = await read_publication(imatch, "Socials|flickr", "flickr")
    flickr_photos = {p.id: p for p in build_photos(flickr)}
    reused = await read_publication(imatch, "Socials|pixelfed", "pixelfed", reuse=flickr)
    fresh = await read_publication(imatch, "Socials|pixelfed", "pixelfed")
    # Photos built with what another platform built are the photos built afresh...
    assert build_photos(reused) == build_photos(fresh)
    shared_ids = set(flickr_photos) & set(reused.candidates)
    assert shared_ids
    # ...holding that platform's keywords, categories and names, not copies of them.
    for photo in build_photos(reused):
        if photo.id not in shared_ids:
            continue
        earlier = flickr_photos[photo.id]
        assert photo.keywords is earlier.keywords
        assert photo.categories is earlier.categories
        assert photo.names is earlier.names
        assert photo.relatives is earlier.relatives


async def test_a_compact_plan_can_be_copied_and_pickled(imatch: IMatchClient) -> None:
    import copy
    import pickle

    from sync.config import Credentials, Settings
    from sync.plan import make_plan

    pub = await read_publication(imatch, "Socials|mastodon", "mastodon")
    plan = make_plan("mastodon", pub, Settings(), Credentials(), None)
    copied = copy.deepcopy(plan)
    assert [i.rendered for i in copied.items] == [i.rendered for i in plan.items]
    assert pickle.loads(pickle.dumps(plan.items[0].photo)) == plan.items[0].photo


async def test_an_answer_read_is_not_left_in_reference_cycles_with_its_body(
    imatch: IMatchClient,
) -> None:
    """httpx's response objects refer to each other: a body they held would wait for the
    cycle collector, which a headless scan pauses (issue 17: CPU). The client reads the
    body itself, so once it is decoded no garbage cycle holds it."""
    gc.collect()
    gc.disable()
    try:
        pub = await read_publication(imatch, "Socials|flickr", "flickr")
        assert pub.files
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        # Bytes are not tracked by the collector: look for them in the objects that are.
        held = [
            len(value)
            for o in gc.garbage
            if isinstance(o, httpx.Response)
            for value in vars(o).values()
            if isinstance(value, bytes) and value
        ]
    finally:
        gc.garbage.clear()
        gc.set_debug(0)
        gc.enable()
    assert held == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05T06:42:10", datetime(2024, 3, 5, 6, 42, 10)),
        ("2024-03-05T06:42:10Z", datetime(2024, 3, 5, 6, 42, 10)),
        ("2024-03-05T06:42:10+02:00", datetime(2024, 3, 5, 6, 42, 10)),
        ("2024-03-05T06:42:10.250", datetime(2024, 3, 5, 6, 42, 10, 250000)),
        ("2024-03-05", datetime(2024, 3, 5)),
        ("", None),
        ("yesterday", None),
        ("2024-13-05T06:42:10", None),
    ],
)
def test_a_file_date_is_read_as_written_any_offset_dropped(
    text: str, expected: datetime | None
) -> None:
    from imatch.client import _date_time

    assert _date_time(text) == expected


def test_a_file_read_from_odd_property_types_is_converted_or_refused() -> None:
    from imatch.client import _file_info
    from imatch.errors import IMatchResponseError

    info = _file_info(
        {"id": "7", "size": "12", "width": 3, "name": 5, "fileName": None, "format": "JPEG"},
        ["title"],
    )
    assert (info.id, info.size, info.width, info.height) == (7, 12, 3, 0)
    assert (info.name, info.file_name, info.format, info.date_time) == ("5", "", "JPEG", None)
    with pytest.raises(IMatchResponseError):
        _file_info({"id": True}, [])
    with pytest.raises(IMatchResponseError):
        _file_info({"id": 1, "size": "big"}, [])


async def test_a_files_texts_are_its_values_as_text_gives_them(imatch: IMatchClient) -> None:
    from imatch.models import FileInfo

    pub = await read_publication(imatch, "Socials|flickr", "flickr")
    for info in pub.files.values():
        assert info.texts() == {key: info.text(key) for key in info.values}
    plain = FileInfo(1, values={"title": "Fog", "hierarchical_keywords": ("a|b", "c")})
    assert plain.texts() == {"title": "Fog", "hierarchical_keywords": "a|b;c"}


async def test_a_scan_asks_imatch_only_for_the_file_fields_photos_use(
    imatch: IMatchClient, imatch_sim: IMatchSimulator
) -> None:
    """Width and height are read by no platform: at 90,000 files read for 50,000 photos
    they were two number objects a file (about 5 MB) and their text in every answer."""
    mark = len(imatch_sim.log.records)
    pub = await read_publication(imatch, "Socials|flickr", "flickr")
    asked = [r.params.get("fields", "") for r in imatch_sim.log.records[mark:]]
    asked = [
        fields
        for fields, r in zip(asked, imatch_sim.log.records[mark:], strict=True)
        if r.path == "/v1/files" and fields
    ]
    assert asked
    for fields in asked:
        names = set(fields.split(","))
        assert {"id", "filename", "name", "datetime", "format", "size"} <= names
        assert not names & {"width", "height"}, fields
    photos = build_photos(pub)
    assert photos
    assert all(photo.file.size and photo.date_taken for photo in photos if photo.file_exists)


async def test_files_and_photos_with_the_same_categories_share_one_copy_of_them(
    imatch: IMatchClient,
) -> None:
    """Most photos of a library share their set of categories with many others: the read
    keeps one tuple per set and the photos one mapping per set (issue 17: about 10 MB at
    50,000 photos), and each photo still has exactly its own and its master's."""
    pub = await read_publication(imatch, "Socials|flickr", "flickr")
    by_content: dict[tuple[object, ...], tuple[object, ...]] = {}
    for refs in pub.categories.values():
        assert by_content.setdefault(tuple(refs), refs) is refs
    photos = build_photos(pub)
    mappings: dict[tuple[object, ...], object] = {}
    for photo in photos:
        expected: dict[str, str] = {}
        owners = (photo.master_id, photo.id) if photo.master_id else (photo.id,)
        for owner in owners:
            expected.update((c.path, c.description) for c in pub.categories.get(owner, ()))
        assert dict(photo.categories) == expected
        # The same categories on the file and on its master: the same mapping.
        key = tuple(tuple(pub.categories.get(owner, ())) for owner in (photo.master_id, photo.id))
        assert mappings.setdefault(key, photo.categories) is photo.categories
    assert len(mappings) < len(photos)
