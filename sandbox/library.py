"""Generator of sample IMatch libraries: real image files plus a `library.json` fixture.

`generate_library()` writes one photo per case of DESIGN.md section 4 (every action and
every error name on both platforms, each file's `expect` saying what it exercises) and
any number of extra photos for benchmarks. The demo uses the cases alone with
640x427 JPEGs; benchmarks add thousands of small ones.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw

from sandbox.imatch_db import FIXTURE_FORMAT, LIBRARY_FILE

PLATFORMS = ("flickr", "pixelfed", "mastodon")
FLAGS = ("_update", "_metadata", "_delete")
GENRE_ROOT = "Image Characteristics|Genre"
ALBUMS = {
    "Landscapes": "72157600000000001",
    # A messy description: spaces and a second line; the id is the trimmed first line.
    "Birds of the coast": "  72157600000000002  \nSea birds and waders",
}
GROUPS = {"Landscape Lovers": "12345678@N00", "Misty Mornings": "23456789@N00"}
THROTTLED_GROUP = "Landscape Lovers"
"""With `--flickr-groups throttled` it takes two photos a day from each member (and the
sandbox puts more of the library's new photos in it, see `sandbox/seeding.py`)."""
MODERATED_GROUP = "Misty Mornings"
"""With `--flickr-groups throttled` its pool is moderated."""
IMAGE_SUFFIXES = {"JPEG": "jpg", "TIFF": "tif", "PNG": "png"}
PIXELFED_LIMIT_BYTES = 15_000 * 1024
MASTODON_LIMIT_BYTES = 16 * 1024 * 1024
FLICKR_LIMIT_BYTES = 200 * 1024 * 1024
KEYWORDS = [
    "nature|water|lake",
    "nature|water|river",
    "nature|birds|heron",
    "nature|birds|kingfisher",
    "nature|trees|pine",
    "weather|fog",
    "weather|storm",
    "city|street|market",
    "city|architecture|bridge",
    "people|portrait",
]
GENRES = ["landscape", "wildlife", "street", "architecture"]
CAMERAS = [("X-T5", "XF16-55mmF2.8 R LM WR"), ("X100V", ""), ("OM-1", "M.Zuiko 40-150mm F2.8")]
SHUTTERS = [1 / 250, 1 / 1000, 1 / 60, 2.0]
APERTURES = [8.0, 5.6, 2.8, 11.0]
FOCALS = [35.0, 23.0, 150.0, 16.0]
ISOS = [200, 400, 1600, 64]
ATTRIBUTE_SETS = {
    "flickr": {"posted": "date", "photo_id": "text", "url": "hyperlink"},
    "pixelfed": {"posted": "date", "media_id": "text", "status_id": "text", "url": "hyperlink"},
    "mastodon": {"posted": "date", "media_id": "text", "status_id": "text", "url": "hyperlink"},
}
RECORD_IDS = {
    "flickr": ("photo_id",),
    "pixelfed": ("media_id", "status_id"),
    "mastodon": ("media_id", "status_id"),
}
DEMO_APP_VARIABLES: dict[str, str | int] = {
    "flickr_api_key": "demo-flickr-key",
    "flickr_api_secret": "demo-flickr-secret",
    "flickr_is_public": 1,
    "flickr_is_friend": 0,
    "flickr_is_family": "0",
    "pixelfed_token": "demo-pixelfed-token",
    "pixelfed_url": "http://127.0.0.1:8081",
    "pixelfed_visibility": "unlisted",
    "mastodon_token": "demo-mastodon-token",
    "mastodon_url": "http://127.0.0.1:8082",
    "mastodon_visibility": "unlisted",
    "imatch_to_socials_python_script_path": "C:\\Tools\\imatch-socials",
}


@dataclass
class Photo:
    """One file being built, and what it is meant to exercise on each platform."""

    id: int
    path: str
    format: str = "JPEG"
    width: int = 640
    height: int = 427
    date_time: str = "2024-03-05T06:42:10"
    tags: dict[str, Any] = field(default_factory=dict)
    raw_tags: dict[str, str] = field(default_factory=dict)
    categories: set[str] = field(default_factory=set)
    size: int = 0
    expect: dict[str, Any] = field(default_factory=dict)

    def fixture(self) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "id": self.id,
            "path": self.path,
            "format": self.format,
            "size": self.size,
            "width": self.width,
            "height": self.height,
            "dateTime": self.date_time,
            "tags": self.tags,
        }
        if self.raw_tags:
            entry["rawTags"] = self.raw_tags
        if self.expect:
            entry["expect"] = self.expect
        return entry


@dataclass
class LibraryInfo:
    """What `generate_library` wrote."""

    path: Path
    files: int
    cases: dict[str, int]
    """Case name -> id of the file in Socials (the uploaded version)."""
    candidates: dict[str, int]
    """Platform -> number of candidate photos (direct members and flagged files)."""


class LibraryBuilder:
    """Builds photos, categories, relations and attribute records, then writes them."""

    def __init__(self, dest: Path, seed: int, image_size: tuple[int, int]) -> None:
        self.dest = dest
        self.random = random.Random(seed)
        self.image_size = image_size
        self.photos: dict[int, Photo] = {}
        self.relations: list[dict[str, Any]] = []
        self.attributes: list[dict[str, Any]] = []
        self.categories: dict[str, str] = {}
        self.cases: dict[str, int] = {}
        self._next_id = 1
        self._remote_id = 1
        (dest / "photos").mkdir(parents=True, exist_ok=True)

    # --- photos -------------------------------------------------------------------------

    def metadata(self, number: int) -> dict[str, Any]:
        """Complete, valid metadata that differs from photo to photo."""
        model, lens = CAMERAS[number % len(CAMERAS)]
        keywords = sorted({KEYWORDS[number % len(KEYWORDS)], KEYWORDS[(number * 7) % 10]})
        return {
            "title": f"Morning fog over the lake {number}",
            "description": f"The lake at dawn, before the wind picked up (frame {number}).",
            "headline": "Mist rising from a still lake, pines on the far shore",
            "hierarchicalkeywords": keywords,
            "iso": ISOS[number % len(ISOS)],
            "shutterspeed": SHUTTERS[number % len(SHUTTERS)],
            "aperture": APERTURES[number % len(APERTURES)],
            "focallength": FOCALS[number % len(FOCALS)],
            "make": "FUJIFILM",
            "model": model,
            "lens": lens,
        }

    def new_id(self) -> int:
        file_id = self._next_id
        self._next_id += 1
        return file_id

    def date(self, number: int) -> str:
        # Spread over 2024 and 2025 whatever the library's size: never in the future.
        hours = (17 * number) % (2 * 365 * 24)
        moment = datetime(2024, 1, 1, 6, 0, 0) + timedelta(hours=hours, seconds=number % 3600)
        return moment.strftime("%Y-%m-%dT%H:%M:%S")

    def add_master(self, number: int, tags: dict[str, Any]) -> Photo:
        """A RAW master (metadata source). Masters are never uploaded; no file is written."""
        file_id = self.new_id()
        photo = Photo(
            id=file_id,
            path=f"photos/{file_id:06d}.RAF",
            format="RAF",
            width=6240,
            height=4160,
            date_time=self.date(number),
            tags=tags,
            size=30_000_000,
        )
        photo.categories.add(f"{GENRE_ROOT}|{GENRES[number % len(GENRES)]}")
        self.photos[file_id] = photo
        return photo

    def add_version(
        self, master: Photo | None, number: int, tags: dict[str, Any], fmt: str = "JPEG"
    ) -> Photo:
        """The file that is uploaded (a JPEG unless `fmt` says otherwise); with a master it
        carries only its own text tags. Further versions of one master join its relation."""
        file_id = self.new_id()
        width, height = self.image_size
        suffix = IMAGE_SUFFIXES[fmt]
        photo = Photo(
            id=file_id,
            path=f"photos/{file_id:06d}.{suffix}",
            format=fmt,
            width=width,
            height=height,
            date_time=self.date(number),
            tags=tags,
        )
        self.photos[file_id] = photo
        if master is not None:
            relation = next((r for r in self.relations if r["master"] == master.id), None)
            if relation is None:
                self.relations.append({"master": master.id, "versions": [file_id]})
            else:
                relation["versions"].append(file_id)
        else:
            photo.categories.add(f"{GENRE_ROOT}|{GENRES[number % len(GENRES)]}")
        photo.size = self.write_image(photo)
        return photo

    def photo_pair(self, number: int, *, standalone: bool = False) -> tuple[Photo | None, Photo]:
        """A master with its JPEG version, or a standalone JPEG with its own metadata."""
        tags = self.metadata(number)
        if standalone:
            return None, self.add_version(None, number, tags)
        master = self.add_master(number, tags)
        return master, self.add_version(master, number, {})

    def write_image(self, photo: Photo) -> int:
        path = self.dest / photo.path
        image = Image.new("RGB", (photo.width, photo.height), self._colour())
        draw = ImageDraw.Draw(image)
        for _ in range(3):
            x0, y0 = self.random.randrange(photo.width), self.random.randrange(photo.height)
            x1, y1 = (
                self.random.randrange(x0, photo.width + 1),
                self.random.randrange(y0, photo.height + 1),
            )
            draw.rectangle((x0, y0, x1, y1), fill=self._colour())
        if photo.format == "JPEG":
            image.save(path, "JPEG", quality=85)
        else:
            image.save(path, photo.format)
        return path.stat().st_size

    def _colour(self) -> tuple[int, int, int]:
        return (self.random.randrange(256), self.random.randrange(256), self.random.randrange(256))

    # --- categories and records ---------------------------------------------------------

    def publish(self, photo: Photo, *platforms: str, flags: Iterable[str] = ()) -> None:
        flags = tuple(flags)
        for platform in platforms:
            photo.categories.add(f"Socials|{platform}")
            for flag in flags:
                photo.categories.add(f"Socials|{platform}|{flag}")

    def posted(
        self, photo: Photo, *platforms: str, incomplete: bool = False, blank: str = ""
    ) -> None:
        """Give `photo` an attribute record on each platform (it is already posted).

        `incomplete`: the record lacks its remote ids (a record typed in by hand), which
        hold `blank` (empty, or characters that show nothing)."""
        for platform in platforms:
            if incomplete:
                values = {"posted": "2024-06-01", "url": ""}
                values.update(dict.fromkeys(RECORD_IDS[platform], blank))
                self.attributes.append({"set": platform, "file": photo.id, "values": values})
                continue
            remote = self._remote_id
            self._remote_id += 1
            if platform == "flickr":
                photo_id = str(50_000_000_000 + remote)
                values = {
                    "posted": "2024-06-01",
                    "photo_id": photo_id,
                    "url": f"https://www.flickr.com/photos/demo/{photo_id}",
                }
            else:
                status_id = str(700_000_000_000_000 + remote)
                values = {
                    "posted": "2024-06-01",
                    "media_id": str(800_000_000_000_000 + remote),
                    "status_id": status_id,
                    "url": f"https://{platform}.example/p/demo/{status_id}",
                }
            self.attributes.append({"set": platform, "file": photo.id, "values": values})

    def case(self, name: str, photo: Photo, **expect: Any) -> None:
        self.cases[name] = photo.id
        photo.expect = {"case": name, **expect}

    # --- writing ------------------------------------------------------------------------

    def write(self, app_variables: dict[str, str | int]) -> LibraryInfo:
        members: dict[str, set[int]] = {path: set() for path in self.categories}
        for photo in self.photos.values():
            for path in photo.categories:
                members.setdefault(path, set()).add(photo.id)
        for platform in PLATFORMS:
            for flag in (*FLAGS, "__errors"):
                members.setdefault(f"Socials|{platform}|{flag}", set())
        categories = [
            {"path": path, "description": self.categories.get(path, ""), "files": sorted(ids)}
            for path, ids in sorted(members.items())
        ]
        fixture = {
            "format": FIXTURE_FORMAT,
            "files": [p.fixture() for p in self.photos.values()],
            "categories": categories,
            "relations": self.relations,
            "attributeSets": ATTRIBUTE_SETS,
            "attributes": self.attributes,
            "appVariables": app_variables,
        }
        (self.dest / LIBRARY_FILE).write_text(json.dumps(fixture, indent=1), encoding="utf-8")
        return LibraryInfo(
            path=self.dest,
            files=len(self.photos),
            cases=dict(self.cases),
            candidates={p: _candidate_count(members, p) for p in PLATFORMS},
        )


def _candidate_count(members: dict[str, set[int]], platform: str) -> int:
    root = f"Socials|{platform}"
    ids = set(members.get(root, set()))
    for flag in FLAGS:
        ids |= members.get(f"{root}|{flag}", set())
    return len(ids)


def generate_library(
    dest: Path,
    extra_photos: int = 0,
    *,
    cases: bool = True,
    image_size: tuple[int, int] = (640, 427),
    extra_image_size: tuple[int, int] = (48, 32),
    posted_share: float = 0.0,
    grouped_share: float = 0.0,
    seed: int = 1,
    app_variables: dict[str, str | int] | None = None,
) -> LibraryInfo:
    """Write a sample library into `dest` (created if needed) and describe it.

    `extra_photos` valid photos are added on both platforms; a `posted_share` of them
    already carry attribute records (so they are unchanged), and a `grouped_share` of them
    are in a flickr group's category (alternately each group). Extra photos use tiny
    images so that 10,000 of them take seconds, not minutes.
    """
    builder = LibraryBuilder(dest, seed, image_size)
    builder.categories.update(
        {f"Socials|flickr|albums|{name}": album_id for name, album_id in ALBUMS.items()}
    )
    builder.categories.update(
        {f"Socials|flickr|groups|{name}": group_id for name, group_id in GROUPS.items()}
    )
    if cases:
        add_cases(builder)
    builder.image_size = extra_image_size
    for index in range(extra_photos):
        number = 1000 + index
        _, version = builder.photo_pair(number, standalone=index % 5 == 0)
        builder.publish(version, *PLATFORMS)
        if builder.random.random() < posted_share:
            builder.posted(version, *PLATFORMS)
        elif grouped_share and builder.random.random() < grouped_share:
            group = list(GROUPS)[index % len(GROUPS)]
            version.categories.add(f"Socials|flickr|groups|{group}")
    return builder.write(dict(app_variables or DEMO_APP_VARIABLES))


def add_cases(b: LibraryBuilder) -> None:
    """One photo per behaviour of DESIGN.md section 4, on one or both platforms."""
    both = PLATFORMS

    def expect_all(action: str, errors: tuple[str, ...] = ()) -> dict[str, Any]:
        return {p: {"action": action, "errors": list(errors)} for p in both}

    _, v = b.photo_pair(1)
    b.publish(v, *both)
    v.categories |= {
        "Socials|flickr|albums|Landscapes",
        "Socials|flickr|albums|Birds of the coast",
        "Socials|flickr|groups|Landscape Lovers",
    }
    b.case("add", v, **expect_all("add"))

    master, v = b.photo_pair(2)
    assert master is not None
    master.raw_tags["XMP::iptcExt\\CircaDateCreated\\CircaDateCreated\\0"] = "1950"
    b.publish(v, *both)
    b.case("add circa date", v, **expect_all("add"))

    _, v = b.photo_pair(3, standalone=True)
    v.tags["title"] = "A title of the version itself"
    b.publish(v, *both)
    b.case("add standalone", v, **expect_all("add"))

    master, v = b.photo_pair(4)
    v.tags.update({"title": "Version title", "headline": "Version headline"})
    b.publish(v, *both)
    b.case("add version text overrides master", v, **expect_all("add"))

    _, v = b.photo_pair(5)
    b.publish(v, *both, flags=["_update"])
    b.posted(v, *both)
    b.case("update", v, **expect_all("update"))

    _, v = b.photo_pair(6)
    b.publish(v, *both, flags=["_metadata"])
    v.categories.add("Socials|flickr|albums|Landscapes")
    b.posted(v, *both)
    b.case("metadata", v, **expect_all("metadata"))

    _, v = b.photo_pair(7)
    b.publish(v, *both, flags=["_update", "_metadata"])
    b.posted(v, *both)
    b.case("update and metadata", v, **expect_all("update"))

    _, v = b.photo_pair(8)
    b.publish(v, *both, flags=["_delete"])
    b.posted(v, *both)
    b.case("delete", v, **expect_all("delete"))

    _, v = b.photo_pair(9)
    for platform in both:
        v.categories.add(f"Socials|{platform}|_delete")
    b.posted(v, *both)
    b.case("delete flag only", v, **expect_all("delete"))

    _, v = b.photo_pair(10)
    b.publish(v, *both, flags=["_delete"])
    b.case("delete never posted", v, **expect_all("delete"))

    _, v = b.photo_pair(11)
    v.tags["title"] = "   "
    b.publish(v, *both, flags=["_delete"])
    b.posted(v, *both)
    b.case("delete invalid photo", v, **expect_all("delete"))

    _, v = b.photo_pair(12)
    b.publish(v, *both)
    b.posted(v, *both)
    b.case("unchanged", v, **expect_all("unchanged"))

    _, v = b.photo_pair(13)
    b.publish(v, *both, flags=["_update"])
    b.case("update never posted", v, **expect_all("add"))

    _, v = b.photo_pair(14)
    b.publish(v, *both, flags=["_update", "_delete"])
    b.posted(v, *both)
    b.case("update and delete", v, **expect_all("error", ("update and delete conflict",)))

    _, v = b.photo_pair(15)
    b.publish(v, *both, flags=["_metadata", "_delete"])
    b.posted(v, *both)
    b.case("metadata and delete", v, **expect_all("error", ("update and delete conflict",)))

    # The original tool's last layout: the master in Socials, its single JPEG uploaded.
    master, _ = b.photo_pair(16)
    assert master is not None
    b.publish(master, *both)
    b.case("master in Socials", master, **expect_all("add"))

    master, v = b.photo_pair(17)
    assert master is not None
    master.tags["title"] = ""
    b.publish(v, *both)
    v.categories.add("Socials|flickr|__errors|missing title")
    b.case("missing title", v, **expect_all("error", ("missing title",)))

    master, v = b.photo_pair(18)
    assert master is not None
    del master.tags["description"]
    b.publish(v, *both)
    b.case("missing description", v, **expect_all("error", ("missing description",)))

    master, v = b.photo_pair(19)
    assert master is not None
    master.tags["headline"] = ""
    b.publish(v, *both)
    b.case(
        "missing headline",
        v,
        flickr={"action": "add", "errors": []},
        pixelfed={"action": "error", "errors": ["missing headline"]},
        mastodon={"action": "error", "errors": ["missing headline"]},
    )

    master, v = b.photo_pair(20)
    assert master is not None
    master.tags["hierarchicalkeywords"] = []
    b.publish(v, *both)
    b.case("missing keywords", v, **expect_all("error", ("missing keywords",)))

    master, v = b.photo_pair(21)
    assert master is not None
    master.categories = {c for c in master.categories if not c.startswith(GENRE_ROOT)}
    b.publish(v, *both)
    b.case("missing genre", v, **expect_all("error", ("missing genre",)))

    master, v = b.photo_pair(22)
    assert master is not None
    master.tags.update({"title": "", "hierarchicalkeywords": []})
    b.publish(v, *both)
    b.case("several errors", v, **expect_all("error", ("missing keywords", "missing title")))

    _, v = b.photo_pair(23)
    webp = b.dest / v.path
    webp.unlink()
    v.path = v.path.replace(".jpg", ".webp")
    v.format = "WebP"
    Image.new("RGB", (v.width, v.height), (30, 90, 160)).save(b.dest / v.path, "WEBP")
    v.size = (b.dest / v.path).stat().st_size
    b.publish(v, *both)
    b.case("invalid format", v, **expect_all("error", ("invalid format",)))

    _, v = b.photo_pair(24)
    v.size = pad_jpeg(b.dest / v.path, PIXELFED_LIMIT_BYTES + 512 * 1024)
    b.publish(v, *both)
    b.case(
        "file too large for pixelfed",
        v,
        flickr={"action": "add", "errors": []},
        pixelfed={"action": "error", "errors": ["file too large"]},
        mastodon={"action": "add", "errors": []},
    )

    _, v = b.photo_pair(25)
    v.size = sparse_extend(b.dest / v.path, FLICKR_LIMIT_BYTES + 1024 * 1024)
    b.publish(v, *both)
    b.case("file too large for flickr", v, **expect_all("error", ("file too large",)))

    _, v = b.photo_pair(26)
    (b.dest / v.path).unlink()
    b.publish(v, *both)
    b.case("file not found", v, **expect_all("error", ("file not found",)))

    master, v = b.photo_pair(27)
    assert master is not None
    master.tags["headline"] = (
        "A long headline that keeps going, describing the light, the water, the trees, "
        "the birds and the hills beyond. " * 6
    ).strip()
    b.publish(v, *both)
    b.case(
        "caption too long",
        v,
        flickr={"action": "add", "errors": []},
        pixelfed={"action": "error", "errors": ["caption too long"]},
        mastodon={"action": "error", "errors": ["caption too long"]},
    )

    master, v = b.photo_pair(28)
    assert master is not None
    master.tags["hierarchicalkeywords"] = [f"subjects|subject {n:02d}" for n in range(80)]
    b.publish(v, *both)
    b.case(
        "too many tags",
        v,
        flickr={"action": "error", "errors": ["too many tags"]},
        pixelfed={"action": "error", "errors": ["caption too long", "too many tags"]},
        mastodon={"action": "error", "errors": ["caption too long"]},
    )

    _, v = b.photo_pair(29)
    (b.dest / v.path).write_bytes(b"This is not an image, whatever IMatch believes.\n" * 40)
    v.size = (b.dest / v.path).stat().st_size
    b.publish(v, *both)
    b.case("upload rejected", v, **expect_all("error", ("upload rejected",)))

    master, v = b.photo_pair(30)
    assert master is not None
    master.categories |= {
        "Location|Australia|Victoria|Melbourne",
        "Event|Festival|Lantern Festival",
    }
    b.publish(v, "flickr")
    b.case("flickr only", v, flickr={"action": "add", "errors": []})

    _, v = b.photo_pair(31)
    b.publish(v, "pixelfed")
    b.posted(v, "pixelfed")
    v.categories.add("Socials|pixelfed|__errors|missing title")
    b.case("stale error category", v, pixelfed={"action": "unchanged", "errors": []})

    add_layout_cases(b)
    add_flag_cases(b)
    add_text_cases(b)


def add_layout_cases(b: LibraryBuilder) -> None:
    """Both layouts of the original tool (DESIGN.md section 4), and moves between them.

    A record on the master is what the original's last release wrote; a record on the
    version is what its earlier releases (and this tool, for a version in Socials) wrote.
    """
    both = PLATFORMS

    def expect_all(action: str, errors: tuple[str, ...] = ()) -> dict[str, Any]:
        return {p: {"action": action, "errors": list(errors)} for p in both}

    def pair(number: int) -> tuple[Photo, Photo]:
        master, version = b.photo_pair(number)
        assert master is not None
        return master, version

    for number, flag, action in (
        (40, "_update", "update"),
        (41, "_metadata", "metadata"),
        (42, "_delete", "delete"),
        (43, None, "unchanged"),
    ):
        master, _ = pair(number)
        b.publish(master, *both, flags=[flag] if flag else [])
        b.posted(master, *both)
        b.case(f"master layout {action}", master, **expect_all(action))
        if flag == "_metadata":  # the album category sits on the master in this layout
            master.categories.add("Socials|flickr|albums|Landscapes")

    master, _ = pair(44)
    b.add_version(master, 44, {})
    b.publish(master, *both)
    b.case("master with several versions", master, **expect_all("error", ("several versions",)))

    master = b.add_master(45, b.metadata(45))
    b.add_version(master, 45, {}, fmt="TIFF")
    b.publish(master, *both)
    b.case(
        "master without a usable version",
        master,
        **expect_all("error", ("no version in an allowed format",)),
    )

    # Moving the assignment between master and version never uploads again.
    for number, flag, action in ((46, None, "unchanged"), (47, "_update", "update")):
        master, version = pair(number)
        b.posted(master, *both)
        b.publish(version, *both, flags=[flag] if flag else [])
        b.case(f"moved to version, {action}", version, records_on=master.id, **expect_all(action))
    master, version = pair(48)
    b.posted(master, *both)
    b.publish(version, *both, flags=["_delete"])
    b.case("moved to version, delete", version, records_on=master.id, **expect_all("delete"))
    for number, flag, action in ((49, None, "unchanged"), (50, "_update", "update")):
        master, version = pair(number)
        b.posted(version, *both)
        b.publish(master, *both, flags=[flag] if flag else [])
        b.case(f"moved to master, {action}", master, records_on=version.id, **expect_all(action))

    master, version = pair(51)
    b.posted(master, *both)
    b.posted(version, *both)
    b.publish(version, *both)
    b.case(
        "records on master and version",
        version,
        **expect_all("error", ("records on master and version",)),
    )

    master, version = pair(52)
    second = b.add_version(master, 52, {})
    b.posted(master, *both)
    b.publish(version, *both)
    b.publish(second, *both)
    shared = expect_all("error", ("record shared by versions",))
    b.case("record shared by versions", version, **shared)
    b.case("record shared by versions, the other version", second, **shared)

    master, version = pair(53)
    b.publish(master, *both)
    b.publish(version, *both)
    b.case(
        "master and version both assigned",
        master,
        **expect_all("error", ("master and version both assigned",)),
    )
    b.case("version assigned with its master", version, **expect_all("add"))


def add_flag_cases(b: LibraryBuilder) -> None:
    """Flags on photos that are not on the platform and not in Socials|<platform>."""
    both = PLATFORMS
    stray = {p: {"action": "error", "errors": ["flagged but not published"]} for p in both}
    for number, flag in ((60, "_update"), (61, "_metadata")):
        _, v = b.photo_pair(number)
        for platform in both:
            v.categories.add(f"Socials|{platform}|{flag}")
        b.case(f"stray {flag} flag", v, **stray)
    master, _ = b.photo_pair(62)
    assert master is not None
    for platform in both:
        master.categories.add(f"Socials|{platform}|_update")
    b.case("stray _update flag on a master", master, **stray)
    _, v = b.photo_pair(63)
    for platform in both:
        v.categories.add(f"Socials|{platform}|_delete")
    b.case(
        "stray _delete flag, never posted",
        v,
        **{p: {"action": "delete", "errors": []} for p in both},
    )

    incomplete = {p: {"action": "error", "errors": ["attribute record incomplete"]} for p in both}
    _, v = b.photo_pair(64)
    b.publish(v, *both)
    b.posted(v, *both, incomplete=True)
    b.case("empty record", v, **incomplete)
    master, _ = b.photo_pair(65)
    assert master is not None
    b.publish(master, *both)
    b.posted(master, *both, incomplete=True, blank="\u200b")
    b.case("empty record on a master in Socials", master, **incomplete)


def add_text_cases(b: LibraryBuilder) -> None:
    """Text that looks present but is not, and limits counted as the platforms count."""
    both = PLATFORMS
    master, v = b.photo_pair(70)
    assert master is not None
    master.tags["title"] = "\u200b"
    b.publish(v, *both)
    b.case(
        "invisible title",
        v,
        **{p: {"action": "error", "errors": ["missing title"]} for p in both},
    )
    master, _ = b.photo_pair(73)
    assert master is not None
    master.tags["title"] = "\u00a0\u200d"
    b.publish(master, *both)
    b.case(
        "invisible title on a master in Socials",
        master,
        **{p: {"action": "error", "errors": ["missing title"]} for p in both},
    )

    # 80 keywords that flickr keeps as 60 tags (it merges `Bird 01` and `bird-01`).
    master, v = b.photo_pair(71)
    assert master is not None
    master.tags["hierarchicalkeywords"] = (
        [f"Bird {n:02d}" for n in range(20)]
        + [f"bird-{n:02d}" for n in range(20)]
        + [f"tree {n:02d}" for n in range(40)]
    )
    b.publish(v, *both)
    b.case(
        "tags merged by flickr",
        v,
        flickr={"action": "add", "errors": []},
        pixelfed={"action": "error", "errors": ["caption too long", "too many tags"]},
        mastodon={"action": "error", "errors": ["caption too long"]},
    )

    # 67 hashtags in under 500 characters: pixelfed would link only 60 of them.
    master, v = b.photo_pair(72)
    assert master is not None
    master.tags["hierarchicalkeywords"] = [chr(97 + n // 26) + chr(97 + n % 26) for n in range(64)]
    b.publish(v, *both)
    b.case(
        "too many hashtags",
        v,
        flickr={"action": "add", "errors": []},
        pixelfed={"action": "error", "errors": ["too many tags"]},
        mastodon={"action": "add", "errors": []},  # Mastodon links every hashtag
    )


def pad_jpeg(path: Path, size: int) -> int:
    """Grow a JPEG to at least `size` bytes with comment segments; it stays a valid JPEG."""
    data = path.read_bytes()
    assert data[:2] == b"\xff\xd8", "not a JPEG"
    chunk = 65_533
    segments = bytearray()
    while len(data) + len(segments) < size:
        segments += b"\xff\xfe" + (chunk + 2).to_bytes(2, "big") + bytes(chunk)
    path.write_bytes(data[:2] + bytes(segments) + data[2:])
    return path.stat().st_size


def sparse_extend(path: Path, size: int) -> int:
    """Extend a file to `size` bytes without writing them (a sparse file on most systems)."""
    with path.open("r+b") as handle:
        handle.truncate(size)
    return size
