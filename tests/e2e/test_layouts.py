"""Exactly what the categories say, in both IMatch layouts the original tool's users have.

The plan of the sample library matches every case's `expect` (both layouts, moves
between them, stray flags, records on relatives, invisible text, limits as the platforms
count them), and a library as the original tool left it (masters in Socials, records on
the masters) keeps working, and keeps working after the assignments move to versions,
with no upload of anything already published.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from imatch.client import IMatchClient
from sandbox.imatch_db import IMatchDatabase
from sandbox.library import (
    DEMO_APP_VARIABLES,
    PLATFORMS,
    LibraryBuilder,
    LibraryInfo,
    generate_library,
)
from sandbox.world import SandboxWorld, sandbox_world
from sync.config import Credentials, Settings
from sync.plan import Plan, read_plan
from sync.report import Reporter
from tests.e2e.test_guide import GUIDE
from tests.sync_checks import (
    NO_RATE_LIMITS,
    post_text,
    records,
    remote_key,
    remote_posts,
    sync_once,
)
from tui.widgets.detail_pane import describe

PHOTOSTREAM = "https://www.flickr.com/photos/dcbuchan"
"""The original's `flickr_url` app variable: the base of the `url` it recorded."""
ACTING_ERRORS = {"upload rejected"}
"""Errors only the platform can find (when it refuses the upload); planned as an add."""


async def plans(client: IMatchClient) -> dict[str, Plan]:
    return {
        platform: await read_plan(client, platform, Settings(), Credentials(), None)
        for platform in PLATFORMS
    }


def wrong_verdicts(db: IMatchDatabase, planned: dict[str, Plan]) -> list[object]:
    """Cases whose planned action and errors are not what the case expects."""
    wrong: list[object] = []
    for platform, plan in planned.items():
        for file in db.files.values():
            expect = file.expect.get(platform)
            if expect is None:
                continue
            errors = set(expect["errors"]) - ACTING_ERRORS
            action = expect["action"] if errors or not expect["errors"] else "add"
            item = plan.item(file.id)
            got = (item.action.value, set(item.verdict.errors)) if item else None
            if got != (action, errors):
                wrong.append((platform, file.expect["case"], got, (action, errors)))
    return wrong


async def test_the_plan_does_what_every_case_expects(
    imatch: IMatchClient, sample_library: LibraryInfo
) -> None:
    db = IMatchDatabase.load(sample_library.path)
    assert wrong_verdicts(db, await plans(imatch)) == []


async def test_the_demo_world_plans_what_every_case_expects(
    sample_library: LibraryInfo, tmp_path: Path
) -> None:
    """The sandbox the demo and the GUIDE use seeds the platforms with the library's posts
    (records of posts that do not exist would be noise): a record left without its ids
    must stay one, however its blank ids are written."""
    with sandbox_world(sample_library.path) as world:
        async with IMatchClient(world.imatch_url, user="tester", retry_delay=0) as client:
            planned = await plans(client)
        assert wrong_verdicts(world.imatch.db, planned) == []


async def test_master_in_socials_uploads_its_single_version_with_the_masters_metadata(
    imatch: IMatchClient, sample_library: LibraryInfo
) -> None:
    db = IMatchDatabase.load(sample_library.path)
    master_id = sample_library.cases["master in Socials"]
    [[version_id]] = db.version_groups(master_id)
    plan = (await plans(imatch))["flickr"]
    item = plan.item(master_id)
    assert item is not None
    assert item.photo.upload_id == version_id
    assert item.photo.file.path == Path(db.files[version_id].file_name)
    assert item.photo.file.format == "JPEG"
    assert item.rendered.post.title == db.files[master_id].tags["title"]
    # `_update` on a master the original published replaces the image with the version.
    update = plan.item(sample_library.cases["master layout update"])
    assert update is not None
    assert update.verdict.replace_image
    assert update.photo.file.format == "JPEG"


# --- the migration: a library as the original tool left it -------------------------------


def original_library(dest: Path, photos: int = 6) -> dict[str, list[int]]:
    """Masters in Socials|<platform> with their single JPEG version and records on the
    masters (the original's last release); one master waits to be published."""
    builder = LibraryBuilder(dest, seed=7, image_size=(64, 48))
    masters, versions = [], []
    for number in range(photos):
        master, version = builder.photo_pair(100 + number)
        assert master is not None
        builder.publish(master, *PLATFORMS)
        if number < photos - 1:
            builder.posted(master, *PLATFORMS)
        masters.append(master.id)
        versions.append(version.id)
    builder.write({**DEMO_APP_VARIABLES, "flickr_url": PHOTOSTREAM})
    return {"masters": masters, "versions": versions}


@pytest.fixture
def original(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[SandboxWorld, dict[str, list[int]]]]:
    files = original_library(tmp_path / "library")
    with sandbox_world(tmp_path / "library") as world:
        world.configure_home(tmp_path / "home", NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        yield world, files


def move_assignments(world: SandboxWorld, old: list[int], new: list[int]) -> None:
    for platform in PLATFORMS:
        world.imatch.db.assign(f"Socials|{platform}", new)
        world.imatch.db.unassign(f"Socials|{platform}", old)


def test_the_original_layout_keeps_working_and_moving_it_never_reuploads(
    original: tuple[SandboxWorld, dict[str, list[int]]],
) -> None:
    world, files = original
    masters, versions = files["masters"], files["versions"]
    published = {p: set(remote_posts(world, p)) for p in PLATFORMS}
    assert all(len(posts) == len(masters) - 1 for posts in published.values())

    code, summary = sync_once()
    assert code == 0, summary
    for platform in PLATFORMS:
        result = summary["platforms"][platform]
        assert (result["added"], result["errors"]) == (1, 0), platform
        # The new one is its JPEG version, recorded on the master like the original did.
        new = set(remote_posts(world, platform)) - published[platform]
        assert len(new) == 1
        [record] = records(world, platform)[masters[-1]]
        if platform == "flickr":  # as the original recorded it, from `flickr_url`
            assert record["url"] == f"{PHOTOSTREAM}/{record['photo_id']}"
        published[platform] |= new

    # Following the old advice: the assignment moves from the masters to the versions.
    move_assignments(world, masters, versions)
    code, summary = sync_once()
    assert code == 0, summary
    for platform in PLATFORMS:
        result = summary["platforms"][platform]
        assert (result["added"], result["errors"]) == (0, 0), platform
        assert result["unchanged"] == len(versions)
        assert set(remote_posts(world, platform)) == published[platform]

    # `_update` on a version whose record is on its master replaces that post's image.
    world.imatch.db.assign("Socials|flickr|_update", [versions[0]])
    [record] = records(world, "flickr")[masters[0]]
    before = world.flickr.photo(record["photo_id"]).replace_count
    code, summary = sync_once(platforms=["flickr"])
    assert code == 0, summary
    assert summary["platforms"]["flickr"]["updated"] == 1
    replaced = world.flickr.photo(record["photo_id"])
    assert replaced.replace_count == before + 1
    jpeg = Path(world.imatch.db.files[versions[0]].file_name).read_bytes()
    assert replaced.sha256 == hashlib.sha256(jpeg).hexdigest()
    assert set(remote_posts(world, "flickr")) == published["flickr"]

    # `_metadata` on a moved photo edits the post its master's record names, everywhere.
    moved = versions[1]
    world.imatch.db.files[masters[1]].tags["title"] = "A new title for the old post"
    for platform in ("pixelfed", "mastodon"):
        world.imatch.db.assign(f"Socials|{platform}|_metadata", [moved])
    code, summary = sync_once(platforms=["pixelfed", "mastodon"])
    assert code == 0, summary
    for platform in ("pixelfed", "mastodon"):
        assert summary["platforms"][platform]["metadata"] == 1, platform
        [record] = records(world, platform)[masters[1]]
        post = remote_posts(world, platform)[record["status_id"]]
        assert "A new title for the old post" in post_text(platform, post), platform
        assert set(remote_posts(world, platform)) == published[platform]
        assert moved not in records(world, platform)

    # And back again: nothing is uploaded either.
    move_assignments(world, versions, masters)
    code, summary = sync_once()
    assert code == 0, summary
    for platform in PLATFORMS:
        assert summary["platforms"][platform]["added"] == 0
        assert set(remote_posts(world, platform)) == published[platform]


def test_a_sample_library_with_master_cases_still_scales(tmp_path: Path) -> None:
    info = generate_library(tmp_path, 10, cases=True)
    assert info.cases["master in Socials"] in IMatchDatabase.load(tmp_path).files


# --- flickr albums and groups curated by hand ----------------------------------------------


@pytest.fixture
def world(
    sample_library: LibraryInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SandboxWorld]:
    with sandbox_world(sample_library.path) as world:
        world.configure_home(tmp_path, NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
        yield world


def case_id(world: SandboxWorld, name: str) -> int:
    return next(f.id for f in world.imatch.db.files.values() if f.expect.get("case") == name)


@pytest.mark.parametrize("case", ["metadata", "master layout metadata"])
def test_a_metadata_update_changes_only_the_albums_and_groups_imatch_manages(
    world: SandboxWorld, case: str
) -> None:
    sim, db = world.flickr, world.imatch.db
    file_id = case_id(world, case)  # in the IMatch album category `Landscapes`
    [record] = records(world, "flickr")[file_id]
    photo_id = record["photo_id"]
    user = sim.state.photos[photo_id].owner
    albums = db.descendants("Socials|flickr|albums")
    managed = {c.name: c.description.splitlines()[0] for c in albums}
    birds = sim.state.photosets[managed["Birds of the coast"]]
    birds.photo_ids.append(photo_id)  # an IMatch album the photo is not in (any more)
    by_hand = sim.add_photoset(sim.state.users[user], "Made on flickr", [photo_id])
    pool = sim.add_group("Curated by hand")
    pool.pool.append(photo_id)

    _, summary = sync_once(platforms=["flickr"])

    assert summary["platforms"]["flickr"]["metadata"] >= 1, summary
    assert photo_id in sim.state.photosets[managed["Landscapes"]].photo_ids
    assert photo_id not in birds.photo_ids
    # Made on flickr: kept, and the album (whose only photo this is) still exists.
    assert sim.state.photosets[by_hand.id].photo_ids == [photo_id]
    assert pool.pool == [photo_id]


def test_albums_in_a_folder_category_are_managed_too(world: SandboxWorld) -> None:
    """`albums|Trips|Japan` names a flickr album as `albums|Landscapes` does: the photo
    IMatch puts in it is added, and one IMatch no longer puts in it is taken out."""
    sim, db = world.flickr, world.imatch.db
    file_id = case_id(world, "metadata")
    [record] = records(world, "flickr")[file_id]
    photo_id = record["photo_id"]
    user = sim.state.users[sim.state.photos[photo_id].owner]
    japan = sim.add_photoset(user, "Japan", [sim.add_photo(user, title="Fuji").id, photo_id])
    kyoto = sim.add_photoset(user, "Kyoto", [sim.add_photo(user, title="Kyoto cover").id])
    db.ensure_category("Socials|flickr|albums|Trips")
    db.ensure_category("Socials|flickr|albums|Trips|Japan").description = japan.id
    db.ensure_category("Socials|flickr|albums|Trips|Kyoto").description = f"{kyoto.id}\nTemples"
    db.assign("Socials|flickr|albums|Trips|Kyoto", [file_id])

    _, summary = sync_once(platforms=["flickr"])

    assert summary["platforms"]["flickr"]["metadata"] >= 1, summary
    assert photo_id in sim.state.photosets[kyoto.id].photo_ids
    assert photo_id not in sim.state.photosets[japan.id].photo_ids


# --- saying where a photo comes from: detail pane and --dry-run ----------------------------


async def test_the_detail_pane_and_dry_run_say_file_metadata_source_and_matched_post(
    imatch: IMatchClient, sample_library: LibraryInfo
) -> None:
    db = IMatchDatabase.load(sample_library.path)
    plan = (await plans(imatch))["flickr"]
    cases = sample_library.cases

    def name(file_id: int) -> str:
        return db.files[file_id].name

    moved = plan.item(cases["moved to version, update"])
    assert moved is not None
    [[master]] = db.master_groups(moved.file_id)
    [record] = [r for r in db.instances.values() if r.file_id == master and r.set_name == "flickr"]
    on_master = f"post: photo_id {record.values['photo_id']} (record on the master {name(master)})"
    master_item = plan.item(cases["master in Socials"])
    assert master_item is not None
    [[version]] = db.version_groups(master_item.file_id)
    expected = [
        (
            moved,
            [
                f"uploads {moved.photo.name}; metadata: the master {name(master)}",
                on_master,
            ],
        ),
        (
            master_item,
            [
                f"uploads {name(version)}, the master's version; "
                f"metadata: the master {master_item.photo.name}",
                "post: none yet",
            ],
        ),
    ]

    console = Console(width=200, record=True, file=io.StringIO())
    out = io.StringIO()
    reporter = Reporter(out, json_mode=False)
    reporter.plan(plan, dry_run=True)
    printed = out.getvalue()
    photos = {p["id"]: p for p in reporter.results["flickr"]["photos"]}
    for item, phrases in expected:
        console.print(describe(item))
        pane = " ".join(console.export_text(clear=True).split())
        origin = photos[item.file_id]
        json_line = (
            f"uploads {origin['file']}; metadata: {origin['metadata']}; post: {origin['post']}"
        )
        for phrase in phrases:
            assert phrase in printed
            assert phrase in json_line
        for key in ("file", "metadata", "post"):
            assert " ".join(str(origin[key]).split()) in pane


def test_a_master_in_socials_is_published_and_replaced_with_its_jpeg_version(
    world: SandboxWorld,
) -> None:
    db = world.imatch.db

    def version_sha(master: int) -> str:
        [[version]] = db.version_groups(master)
        return hashlib.sha256(Path(db.files[version].file_name).read_bytes()).hexdigest()

    added, updated = case_id(world, "master in Socials"), case_id(world, "master layout update")
    _, summary = sync_once(platforms=["flickr"])
    assert summary["platforms"]["flickr"]["status"] == "run", summary
    for master in (added, updated):
        [record] = records(world, "flickr")[master]  # recorded on the master, as before
        photo = world.flickr.photo(record["photo_id"])
        assert photo.sha256 == version_sha(master)
        assert photo.title == db.files[master].tags["title"]
    assert world.flickr.photo(records(world, "flickr")[updated][0]["photo_id"]).replace_count == 1


@pytest.mark.parametrize("case", ["moved to version, delete", "master layout delete"])
def test_delete_in_either_layout_removes_the_post_its_record_and_every_assignment(
    world: SandboxWorld, case: str
) -> None:
    db = world.imatch.db
    file_id = case_id(world, case)
    groups = [*db.master_groups(file_id), *db.version_groups(file_id)]
    holders = {file_id, *(relative for group in groups for relative in group)}
    posts = {}
    for platform in PLATFORMS:
        [(holder, [record])] = [(f, r) for f, r in records(world, platform).items() if f in holders]
        posts[platform] = (holder, record[remote_key(platform)])
        assert posts[platform][1] in remote_posts(world, platform)

    code, summary = sync_once()

    assert code == 1, summary  # the sample library holds photos that fail on purpose
    for platform, (holder, remote) in posts.items():
        assert remote not in remote_posts(world, platform), platform
        assert holder not in records(world, platform), platform
        in_socials = {f for f in holders if f"Socials|{platform}" in paths_of(db, f)}
        assert in_socials == set(), platform
        assert not {f for f in holders if f"Socials|{platform}|_delete" in paths_of(db, f)}


def paths_of(db: IMatchDatabase, file_id: int) -> set[str]:
    return {c.path for c in db.categories_of(file_id)}


# --- the GUIDE's rehearsal for users of the original tool, step by step ---------------------


def guide_rehearsal() -> str:
    text = GUIDE.read_text(encoding="utf-8")
    start = text.index("You can rehearse this in the sandbox")
    return text[start : text.index("### What changed compared with the original", start)]


def test_the_guides_rehearsal_of_a_move_works_as_written(world: SandboxWorld) -> None:
    """GUIDE section 14: the photos it names are what it says, its commands work as
    written against the sandbox, and the outcome is the one it describes."""

    rehearsal = guide_rehearsal()
    db = world.imatch.db
    by_name = {f.name: f.id for f in db.files.values()}
    said = re.search(
        r"\(`(.+?)` are masters in\s+`Socials` whose records are on the masters;"
        r"\s+(.+?)\s+are versions whose records are on their masters\)",
        rehearsal,
        re.S,
    )
    assert said is not None, "the GUIDE no longer names the sample library's photos"
    masters = re.findall(r"`(\d+\.RAF)`", said.group(0))
    versions = re.findall(r"`(\d+\.jpg)`", said.group(0))
    assert (len(masters), len(versions)) == (4, 3)
    flickr_records = records(world, "flickr")
    for name in masters:
        file_id = by_name[name]
        assert "Socials|flickr" in paths_of(db, file_id), name
        assert db.version_groups(file_id), name
        assert file_id in flickr_records, name
    for name in versions:
        file_id = by_name[name]
        [[master]] = db.master_groups(file_id)
        assert "Socials|flickr" in paths_of(db, file_id), name
        assert file_id not in flickr_records, name
        assert master in flickr_records, name

    # The curl commands, as written, against the sandbox's IMatch.
    block = rehearsal[rehearsal.index("```sh") + 5 : rehearsal.rindex("```")]
    token = ""
    for line in block.strip().splitlines():
        words = shlex.split(
            line.split("#")[0].replace("<port>", world.imatch_url.rsplit(":", 1)[1])
        )
        if words[0] != "curl":
            assert words[:2] == ["imatch-socials", "--headless"], line
            continue
        url = next(w for w in words if w.startswith("http"))
        form = {}
        for flag, value in itertools.pairwise(words):
            if flag in ("-d", "--data-urlencode"):
                key, _, item = value.replace("<token>", token).partition("=")
                form[key] = item
        answer = httpx.post(url, data=form or None)
        assert answer.status_code == 200, (line, answer.text)
        token = answer.json().get("auth_token", token)

    moved, master = by_name["000069.jpg"], by_name["000068.RAF"]
    assert "Socials|flickr" in paths_of(db, moved)
    assert "Socials|flickr" not in paths_of(db, master)
    _, summary = sync_once(platforms=["flickr"], dry_run=True)
    [entry] = [p for p in summary["platforms"]["flickr"]["photos"] if p["id"] == moved]
    assert entry["action"] == "unchanged"
    assert entry["post"].endswith("(record on the master 000068.RAF)")
    assert "`unchanged`" in rehearsal
    assert "(record on the\nmaster 000068.RAF)" in rehearsal
    # A real run uploads nothing for it.
    posts = set(remote_posts(world, "flickr"))
    sync_once(platforms=["flickr"])
    assert moved not in records(world, "flickr")
    jpeg = hashlib.sha256(Path(db.files[moved].file_name).read_bytes()).hexdigest()
    new = set(remote_posts(world, "flickr")) - posts
    assert [p for p in new if world.flickr.state.photos[p].sha256 == jpeg] == []


async def test_the_detail_pane_names_the_platforms_own_category_in_fix_texts(
    imatch: IMatchClient, sample_library: LibraryInfo
) -> None:
    planned = await plans(imatch)
    console = Console(width=200, record=True, file=io.StringIO())
    for platform, plan in planned.items():
        for case in ("stray _update flag", "master with several versions"):
            item = plan.item(sample_library.cases[case])
            assert item is not None
            console.print(describe(item))
            pane = console.export_text(clear=True)
            assert f"Socials|{platform}" in pane, (platform, case)
            assert "<platform>" not in pane, (platform, case)
