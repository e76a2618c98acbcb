"""Reading everything one publication needs, in batched calls."""

from __future__ import annotations

from pathlib import Path

from imatch.client import IMatchClient
from imatch.library import CategoryLayout, read_publication
from sandbox.imatch_db import IMatchDatabase
from sandbox.imatch_server import IMatchSimulator
from sandbox.library import LibraryInfo, generate_library
from sandbox.serving import serve_in_thread


async def test_reads_candidates_metadata_relations_records_and_subtrees(
    imatch: IMatchClient, imatch_sim: IMatchSimulator, sample_library: LibraryInfo
) -> None:
    cases = sample_library.cases
    pub = await read_publication(imatch, "Socials|flickr", "flickr")
    assert pub.exists
    assert len(pub.candidates) == sample_library.candidates["flickr"]
    assert cases["delete flag only"] in pub.candidates
    assert cases["delete flag only"] not in pub.direct
    assert cases["stale error category"] not in pub.candidates
    assert pub.flag(cases["update"], "_update")
    assert pub.flag(cases["delete"], "_delete")
    assert not pub.flag(cases["add"], "_update")

    add = cases["add"]
    master = pub.master_of(add)
    assert master is not None
    assert master.format == "RAF"
    assert master.text("title") == "Morning fog over the lake 1"
    assert pub.files[add].format == "JPEG"
    assert any(c.path.startswith("Image Characteristics|Genre") for c in pub.categories[master.id])
    assert "Socials|flickr|albums|Landscapes" in {c.path for c in pub.categories[add]}

    master_in_socials = cases["master in Socials"]
    [version] = pub.versions[master_in_socials]
    assert pub.files[version.id].format == "JPEG"  # the version that is uploaded is read
    assert pub.relatives(master_in_socials) == (version.id,)
    assert add not in pub.versions
    assert pub.master_of(cases["add standalone"]) is None

    assert pub.records[cases["update"]][0].values["photo_id"]
    assert add not in pub.records
    # Records of relatives are read too: a move between master and version never re-uploads.
    moved = cases["moved to version, unchanged"]
    assert moved not in pub.records
    [master_record] = pub.records[pub.relatives(moved)[0]]
    assert master_record.values["photo_id"]
    assert {c.name for c in pub.subtrees["albums"].children} == {
        "Landscapes",
        "Birds of the coast",
    }
    assert pub.subtrees["groups"].children[0].description == "12345678@N00"
    errors = pub.subtrees["__errors"]
    assert errors.child("missing title") is not None


async def test_missing_root_reads_as_not_existing(imatch: IMatchClient) -> None:
    pub = await read_publication(imatch, "Socials|myspace", "myspace")
    assert not pub.exists
    assert pub.candidates == ()
    assert pub.requests == 2  # authenticate, then the root


async def test_custom_category_names(imatch: IMatchClient, imatch_sim: IMatchSimulator) -> None:
    version = next(iter(imatch_sim.db.files))
    imatch_sim.db.assign("Web|flickr|redo", [version])
    layout = CategoryLayout(update="redo")
    pub = await read_publication(imatch, "Web|flickr", "flickr", layout)
    assert pub.candidates == (version,)
    assert pub.flag(version, "redo")


async def test_request_count_grows_with_chunks_not_photos(tmp_path: Path) -> None:
    counts = {}
    for photos in (100, 400):
        info = generate_library(tmp_path / str(photos), photos, cases=False, seed=photos)
        sim = IMatchSimulator(IMatchDatabase.load(info.path))
        with serve_in_thread(sim.asgi_app) as url:
            async with IMatchClient(url, user="t", chunk_size=100) as client:
                pub = await read_publication(client, "Socials|pixelfed", "pixelfed")
        assert len(pub.candidates) == photos
        counts[photos] = pub.requests
    # authenticate, 1 root + 3 subtrees, then per 100 candidates: files, masters, versions, records,
    # categories; per 100 relatives: files, categories, records (4 of 5 photos have a master).
    assert counts[100] == 1 + 4 + 5 * 1 + 3 * 1
    assert counts[400] == 1 + 4 + 5 * 4 + 3 * 4


async def test_a_second_platform_reuses_what_the_first_read(
    imatch: IMatchClient, imatch_sim: IMatchSimulator, sample_library: LibraryInfo
) -> None:
    import dataclasses

    def files_asked_for() -> set[int]:
        asked = imatch_sim.log.matching("/v1/files")
        return {int(i) for r in asked for i in r.params.get("id", "").split(",") if i}

    flickr = await read_publication(imatch, "Socials|flickr", "flickr")
    imatch_sim.log.clear()
    fresh = await read_publication(imatch, "Socials|pixelfed", "pixelfed")
    read_fresh = files_asked_for()
    imatch_sim.log.clear()
    reused = await read_publication(imatch, "Socials|pixelfed", "pixelfed", reuse=flickr)
    read_reusing = files_asked_for()
    # Exactly the same publication, records included (those are always read)...
    assert dataclasses.replace(reused, requests=0) == dataclasses.replace(fresh, requests=0)
    assert reused.records
    assert reused.masters
    assert reused.versions
    # ...but files flickr's read already holds are not asked for again.
    pixelfed_only = set(fresh.candidates) - set(flickr.candidates)
    assert pixelfed_only, "the sample library has photos on pixelfed alone"
    assert set(fresh.candidates) - pixelfed_only, "and photos on both platforms"
    assert pixelfed_only <= read_reusing < read_fresh
    assert not read_reusing & set(flickr.files)


async def test_a_platform_with_the_same_photos_shares_the_first_read_and_reads_its_records(
    imatch: IMatchClient, imatch_sim: IMatchSimulator, sample_library: LibraryInfo
) -> None:
    import dataclasses

    # The same candidates (flickr's root) with another platform's attribute set: what
    # two platforms publishing the same photos look like.
    first = await read_publication(imatch, "Socials|flickr", "flickr")
    fresh = await read_publication(imatch, "Socials|flickr", "pixelfed")
    imatch_sim.log.clear()
    reused = await read_publication(imatch, "Socials|flickr", "pixelfed", reuse=first)
    assert dataclasses.replace(reused, requests=0) == dataclasses.replace(fresh, requests=0)
    assert reused.records != first.records  # its own records...
    assert reused.records
    # ...and the first read's files, categories and relations, not copies of them.
    assert reused.files is first.files
    assert reused.categories is first.categories
    assert reused.masters is first.masters
    assert reused.versions is first.versions
    assert not imatch_sim.log.matching("/v1/files")
    assert not imatch_sim.log.matching("/v1/files/categories")
    assert reused.requests == len(imatch_sim.log)


async def test_progress_counts_up_to_every_candidate_as_answers_arrive(imatch_url: str) -> None:
    reports: list[tuple[int, int]] = []
    async with IMatchClient(imatch_url, user="tester", retry_delay=0, chunk_size=7) as client:
        first = await read_publication(
            client, "Socials|flickr", "flickr", progress=lambda d, t: reports.append((d, t))
        )
        total = len(first.candidates)
        assert reports[0] == (0, total)
        assert reports[-1] == (total, total)
        assert [d for d, _ in reports] == sorted(d for d, _ in reports)
        batches = -(-total // 7)
        # The start, then one per batch of each of the five batched reads.
        assert len(reports) == 1 + 5 * batches
        # With another platform's read reused, only its attribute records and the files
        # the other read lacks are asked for, and progress still ends at every photo.
        reports.clear()
        second = await read_publication(
            client,
            "Socials|pixelfed",
            "pixelfed",
            reuse=first,
            progress=lambda d, t: reports.append((d, t)),
        )
        total = len(second.candidates)
        assert reports[-1] == (total, total)
        assert len(reports) < 1 + 5 * -(-total // 7)


async def test_request_count_in_the_original_layout_grows_with_chunks_not_photos(
    tmp_path: Path,
) -> None:
    """Masters in Socials (the original's last layout), records on the masters: the
    versions that are uploaded and their records are read in the same batched calls."""
    from sandbox.library import PLATFORMS, LibraryBuilder

    counts = {}
    for photos in (100, 400):
        builder = LibraryBuilder(tmp_path / str(photos), seed=photos, image_size=(8, 8))
        for number in range(photos):
            master, _ = builder.photo_pair(number)
            assert master is not None
            builder.publish(master, *PLATFORMS)
            if number % 2:
                builder.posted(master, *PLATFORMS)
        info = builder.write({})
        sim = IMatchSimulator(IMatchDatabase.load(info.path))
        with serve_in_thread(sim.asgi_app) as url:
            async with IMatchClient(url, user="t", chunk_size=100) as client:
                pub = await read_publication(client, "Socials|pixelfed", "pixelfed")
        assert len(pub.candidates) == photos
        assert all(len(pub.versions[m]) == 1 for m in pub.candidates)
        assert sum(bool(pub.records.get(m)) for m in pub.candidates) == photos // 2
        counts[photos] = pub.requests
    # authenticate, 1 root + 3 subtrees, then per 100 candidates: files, masters, versions,
    # records, categories; per 100 versions: files and records (a version's categories
    # are not needed: the master's metadata is published).
    assert counts[100] == 1 + 4 + 5 * 1 + 2 * 1
    assert counts[400] == 1 + 4 + 5 * 4 + 2 * 4


async def test_a_version_two_relation_rules_match_is_one_version(tmp_path: Path) -> None:
    """IMatch answers one group per version rule that matched ("JPEG exports", "edits"):
    a file both rules match is in both groups, and is still the master's one version."""
    from sandbox.library import PLATFORMS, LibraryBuilder
    from sync.photo import build_photos

    builder = LibraryBuilder(tmp_path, seed=3, image_size=(8, 8))
    master, version = builder.photo_pair(1)
    assert master is not None
    builder.relations.append({"master": master.id, "versions": [version.id]})
    builder.publish(master, *PLATFORMS)
    info = builder.write({})
    sim = IMatchSimulator(IMatchDatabase.load(info.path))
    assert sim.db.version_groups(master.id) == [[version.id], [version.id]]
    with serve_in_thread(sim.asgi_app) as url:
        async with IMatchClient(url, user="t") as client:
            pub = await read_publication(client, "Socials|flickr", "flickr")
    assert [v.id for v in pub.versions[master.id]] == [version.id]
    [photo] = build_photos(pub)
    assert (photo.upload_id, photo.relation_errors) == (version.id, ())


async def test_only_direct_members_and_flagged_files_are_candidates(
    imatch: IMatchClient, imatch_sim: IMatchSimulator
) -> None:
    """A file only in an album, group or error category under Socials|flickr is in the
    root's `files` (IMatch counts descendants) but is never a photo to publish."""
    db = imatch_sim.db
    outsider = next(
        f
        for f in sorted(db.files)
        if not any(c.path.startswith("Socials|") for c in db.categories_of(f))
    )
    for path in (
        "Socials|flickr|albums|Landscapes",
        "Socials|flickr|groups|Misty Mornings",
        "Socials|flickr|__errors|missing title",
    ):
        db.assign(path, [outsider])
    pub = await read_publication(imatch, "Socials|flickr", "flickr")
    root = await imatch.category("Socials|flickr", ("files", "directfiles"))
    assert root is not None
    assert outsider in root.files
    assert outsider not in root.direct_files
    assert outsider not in pub.candidates
