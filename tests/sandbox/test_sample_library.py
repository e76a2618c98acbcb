"""The sample library generator covers every action and error name with real files."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from sandbox.imatch_db import IMatchDatabase
from sandbox.library import FLICKR_LIMIT_BYTES, PIXELFED_LIMIT_BYTES, LibraryInfo, generate_library

ERROR_NAMES = {
    "several versions",
    "no version in an allowed format",
    "master and version both assigned",
    "records on master and version",
    "record shared by versions",
    "flagged but not published",
    "attribute record incomplete",
    "missing title",
    "missing description",
    "missing headline",
    "missing keywords",
    "missing genre",
    "invalid format",
    "file too large",
    "file not found",
    "caption too long",
    "update and delete conflict",
    "upload rejected",
    "too many tags",
}
ACTIONS = {"add", "update", "metadata", "delete", "error", "unchanged"}


def expectations(library: LibraryInfo, platform: str) -> list[dict[str, object]]:
    db = IMatchDatabase.load(library.path)
    return [f.expect[platform] for f in db.files.values() if platform in f.expect]


def test_every_action_and_error_name_is_covered_on_both_platforms(
    sample_library: LibraryInfo,
) -> None:
    for platform in ("flickr", "pixelfed"):
        expected = expectations(sample_library, platform)
        assert {e["action"] for e in expected} == ACTIONS, platform
    every_error = {
        name
        for platform in ("flickr", "pixelfed")
        for e in expectations(sample_library, platform)
        for name in e["errors"]  # type: ignore[attr-defined]
    }
    assert every_error == ERROR_NAMES


def test_files_on_disk_match_their_cases(sample_library: LibraryInfo) -> None:
    db = IMatchDatabase.load(sample_library.path)
    cases = sample_library.cases

    def file(case: str) -> Path:
        return Path(db.files[cases[case]].file_name)

    with Image.open(file("add")) as image:
        assert image.format == "JPEG"
    big = file("file too large for pixelfed")
    assert big.stat().st_size > PIXELFED_LIMIT_BYTES
    with Image.open(big) as image:
        image.load()  # still a valid JPEG, padded with comment segments
    huge = file("file too large for flickr")
    assert huge.stat().st_size > FLICKR_LIMIT_BYTES
    assert huge.stat().st_blocks * 512 < 10 * 1024 * 1024  # sparse: costs no disk
    assert not file("file not found").exists()
    assert db.files[cases["file not found"]].size > 0  # IMatch still knows its size
    with Image.open(file("invalid format")) as image:
        assert image.format == "WEBP"
    assert not file("upload rejected").read_bytes().startswith(b"\xff\xd8")


def test_fixture_round_trips(sample_library: LibraryInfo) -> None:
    db = IMatchDatabase.load(sample_library.path)
    again = IMatchDatabase.from_fixture(db.to_fixture(), sample_library.path)
    assert again.to_fixture() == db.to_fixture()


def test_scales_to_thousands_of_photos(tmp_path: Path) -> None:
    info = generate_library(tmp_path, 2000, cases=False, posted_share=0.5)
    db = IMatchDatabase.load(tmp_path)
    assert info.candidates == {"flickr": 2000, "pixelfed": 2000, "mastodon": 2000}
    versions = [f for f in db.files.values() if f.format == "JPEG"]
    assert len(versions) == 2000
    assert all(Path(f.file_name).is_file() for f in versions[:50])
    posted = {i.file_id for i in db.instances.values() if i.set_name == "flickr"}
    assert 800 < len(posted) < 1200
