"""The IMatch client against the IMatch simulator over real HTTP: every call and error path."""

from __future__ import annotations

import logging
import socket

import pytest

from imatch.client import IMatchClient
from imatch.errors import IMatchError, IMatchRequestError, IMatchUnavailable
from imatch.library import METADATA_TAGS, METADATA_VARIABLES
from sandbox.imatch_server import IMatchSimulator
from sandbox.library import LibraryInfo


def master_of(sim: IMatchSimulator, version_id: int) -> int:
    return next(r.master for r in sim.db.relations if version_id in r.versions)


async def test_files_returns_fields_tags_and_formatted_variables(
    imatch: IMatchClient, imatch_sim: IMatchSimulator, sample_library: LibraryInfo
) -> None:
    version = sample_library.cases["add"]
    master = master_of(imatch_sim, version)
    files = await imatch.files([master, version], tags=METADATA_TAGS, variables=METADATA_VARIABLES)
    by_id = {f.id: f for f in files}
    assert list(by_id) == [master, version]
    raw = by_id[master]
    assert raw.text("title") == "Morning fog over the lake 1"
    assert raw.text("headline") == "Mist rising from a still lake, pines on the far shore"
    assert raw.items("hierarchical_keywords") == tuple(
        imatch_sim.db.files[master].tags["hierarchicalkeywords"]
    )
    assert raw.text("shutter_speed") == "1/1000"
    assert raw.text("focal_length") == "23 mm"
    assert raw.text("aperture") == "5.6"
    assert raw.text("iso") == "400"
    jpeg = by_id[version]
    assert jpeg.format == "JPEG"
    assert jpeg.file_name.endswith(".jpg")
    assert jpeg.size == imatch_sim.db.files[version].size > 0
    assert jpeg.date_time is not None
    assert jpeg.date_time.year == 2024
    assert jpeg.text("title") == ""
    assert jpeg.items("hierarchical_keywords") == ()


async def test_circa_date_comes_through_the_fully_qualified_variable(
    imatch: IMatchClient, imatch_sim: IMatchSimulator, sample_library: LibraryInfo
) -> None:
    master = master_of(imatch_sim, sample_library.cases["add circa date"])
    [info] = await imatch.files([master], variables=METADATA_VARIABLES)
    assert info.text("circa_date_created") == "1950"


async def test_single_repeatable_value_as_plain_string_is_one_item(
    imatch: IMatchClient, imatch_sim: IMatchSimulator
) -> None:
    imatch_sim.settings.single_values_as_string = True
    file = next(f for f in imatch_sim.db.files.values() if f.format == "RAF")
    file.tags["hierarchicalkeywords"] = ["nature|water|lake"]
    [info] = await imatch.files([file.id], tags=METADATA_TAGS)
    assert info.values["hierarchical_keywords"] == "nature|water|lake"
    assert info.items("hierarchical_keywords") == ("nature|water|lake",)


async def test_unknown_ids_are_left_out(imatch: IMatchClient) -> None:
    assert await imatch.files([999_999]) == []


async def test_file_categories_and_relations(
    imatch: IMatchClient, imatch_sim: IMatchSimulator, sample_library: LibraryInfo
) -> None:
    version = sample_library.cases["add"]
    master = master_of(imatch_sim, version)
    categories = await imatch.file_categories([version, master])
    paths = {c.path for c in categories[version]}
    assert {"Socials|flickr", "Socials|pixelfed", "Socials|flickr|albums|Landscapes"} <= paths
    album = next(c for c in categories[version] if c.path.endswith("Birds of the coast"))
    assert album.description.startswith("  72157600000000002")
    assert any(c.path.startswith("Image Characteristics|Genre|") for c in categories[master])

    masters = await imatch.relations([version, master], "masters")
    assert [[f.id for f in g] for g in masters[version]] == [[master]]
    assert masters[master] == []
    versions = await imatch.relations([master], "versions")
    [[related]] = versions[master]
    assert (related.id, related.format) == (version, "JPEG")
    assert related.file_name.endswith(".jpg")


async def test_category_reads_children_files_and_descriptions(imatch: IMatchClient) -> None:
    root = await imatch.category("Socials|flickr")
    assert root is not None
    assert {c.name for c in root.children} >= {"_update", "_metadata", "_delete", "albums"}
    update = root.child("_update")
    assert update is not None
    assert update.path == "Socials|flickr|_update"
    assert set(update.files) <= set(root.files)
    assert root.direct_files
    assert set(root.direct_files) <= set(root.files)
    albums = await imatch.category("Socials|flickr|albums")
    assert albums is not None
    assert {c.description.strip().splitlines()[0].strip() for c in albums.children} == {
        "72157600000000001",
        "72157600000000002",
    }


async def test_unknown_category_path_is_none(imatch: IMatchClient) -> None:
    assert await imatch.category("Socials|myspace") is None


async def test_assign_and_unassign_are_chunked_under_the_server_limit(
    imatch_url: str, imatch_sim: IMatchSimulator
) -> None:
    imatch_sim.settings.max_ids_per_call = 5
    ids = sorted(imatch_sim.db.files)[:12]
    async with IMatchClient(imatch_url, user="t", chunk_size=5, retry_delay=0) as client:
        await client.assign("Socials|flickr|__errors|chunking test", ids)
        assert imatch_sim.db.direct_files("Socials|flickr|__errors|chunking test") == ids
        assert imatch_sim.log.count("/v1/categories/assign") == 3
        await client.unassign("Socials|flickr|__errors|chunking test", ids)
        assert imatch_sim.db.direct_files("Socials|flickr|__errors|chunking test") == []
        assert imatch_sim.log.count("/v1/categories/unassign") == 3


async def test_over_long_id_list_without_chunking_is_refused_clearly(
    imatch_url: str, imatch_sim: IMatchSimulator
) -> None:
    imatch_sim.settings.max_ids_per_call = 5
    async with IMatchClient(imatch_url, user="t", chunk_size=50, retry_delay=0) as client:
        with pytest.raises(IMatchRequestError, match="too many ids") as raised:
            await client.files(sorted(imatch_sim.db.files)[:12])
    assert raised.value.status == 400


async def test_many_files_read_in_few_requests(
    imatch_url: str, imatch_sim: IMatchSimulator
) -> None:
    ids = sorted(imatch_sim.db.files)
    async with IMatchClient(imatch_url, user="t", chunk_size=10, max_in_flight=3) as client:
        files = await client.files(ids)
    assert [f.id for f in files] == ids
    assert imatch_sim.log.count("/v1/files") == -(-len(ids) // 10)


async def test_attribute_records_add_update_delete(
    imatch: IMatchClient, imatch_sim: IMatchSimulator, sample_library: LibraryInfo
) -> None:
    fresh = sample_library.cases["add"]
    posted = sample_library.cases["update"]
    records = await imatch.attributes("flickr", [fresh, posted])
    assert fresh not in records
    [record] = records[posted]
    assert record.values["photo_id"].isdigit()

    await imatch.add_attribute_record(
        "flickr", fresh, {"posted": "2026-11-27", "photo_id": "42", "url": "u/42"}
    )
    assert imatch_sim.db.record("flickr", fresh) == {
        "posted": "2026-11-27",
        "photo_id": "42",
        "url": "u/42",
    }
    [new] = (await imatch.attributes("flickr", [fresh]))[fresh]

    await imatch.update_attribute_records(
        "flickr",
        {fresh: (new.instance_id, {"url": "u/43"}), posted: (record.instance_id, {"url": "x"})},
    )
    assert imatch_sim.db.record("flickr", fresh)["url"] == "u/43"  # type: ignore[index]
    assert imatch_sim.db.record("flickr", posted)["url"] == "x"  # type: ignore[index]
    assert imatch_sim.log.count("/v1/attributes", "POST") == 2

    await imatch.delete_attribute_records(
        "flickr", {fresh: [new.instance_id], posted: [record.instance_id]}
    )
    assert imatch_sim.db.record("flickr", fresh) is None
    assert imatch_sim.db.record("flickr", posted) is None
    assert imatch_sim.log.count("/v1/attributes", "POST") == 3


async def test_record_add_whose_answer_was_lost_is_not_added_twice(
    imatch: IMatchClient, imatch_sim: IMatchSimulator, sample_library: LibraryInfo
) -> None:
    fresh = sample_library.cases["add"]
    imatch_sim.knobs.drop_mutations = {1}
    await imatch.add_attribute_record("pixelfed", fresh, {"media_id": "7", "status_id": "8"})
    assert len(imatch_sim.db.instances_of("pixelfed", fresh)) == 1


async def test_app_variables_numbers_and_strings_are_normalised(
    imatch: IMatchClient, imatch_sim: IMatchSimulator
) -> None:
    imatch_sim.db.app_variables["flickr_apikey"] = "old-spelling-key"
    del imatch_sim.db.app_variables["flickr_api_key"]
    variables = await imatch.app_variables(
        ["flickr_is_public", "flickr_is_family", "flickr_api_key", "flickr_apikey", "nope"]
    )
    assert variables.flag("flickr_is_public") is True
    assert variables.flag("flickr_is_family") is False
    assert variables.text("flickr_is_public") == "1"
    assert variables.first("flickr_api_key", "flickr_apikey") == "old-spelling-key"
    assert not variables.has("nope")
    before = imatch_sim.log.count("/v1/imatch/appvar")
    again = await imatch.app_variables(["flickr_is_public"])
    assert again.flag("flickr_is_public") is True
    assert imatch_sim.log.count("/v1/imatch/appvar") == before


async def test_app_variables_as_strings_and_unknown_as_404(
    imatch: IMatchClient, imatch_sim: IMatchSimulator
) -> None:
    imatch_sim.settings.numbers_as_strings = True
    imatch_sim.settings.unknown_appvar_status = 404
    variables = await imatch.app_variables(["flickr_is_public", "missing_variable"])
    assert variables.flag("flickr_is_public") is True
    assert not variables.has("missing_variable")


async def test_imatch_not_running_gives_one_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    async with IMatchClient(url, user="t", retry_delay=0) as client:
        with pytest.raises(IMatchUnavailable) as raised:
            await client.category("Socials|flickr")
    assert str(raised.value) == f"IMatch is not running at {url}"
    assert raised.value.__cause__ is None


async def test_refused_token_is_renewed_transparently(
    imatch: IMatchClient, imatch_sim: IMatchSimulator
) -> None:
    assert await imatch.category("Socials|flickr") is not None
    imatch_sim.expire_tokens()
    assert await imatch.category("Socials|flickr") is not None
    assert imatch_sim.log.count("/v1/authenticate") == 2


async def test_idle_token_expiry_is_renewed(
    imatch: IMatchClient, imatch_sim: IMatchSimulator
) -> None:
    now = [1000.0]
    imatch_sim.settings.clock = lambda: now[0]
    imatch_sim.settings.token_idle_seconds = 60
    await imatch.category("Socials|flickr")
    now[0] += 61
    assert await imatch.category("Socials|pixelfed") is not None
    assert imatch_sim.log.count("/v1/authenticate") == 2


async def test_one_failed_call_is_retried(
    imatch: IMatchClient, imatch_sim: IMatchSimulator
) -> None:
    imatch_sim.knobs.fail_requests = {2}  # 1 is authenticate
    root = await imatch.category("Socials|flickr")
    assert root is not None
    assert [r.status for r in imatch_sim.log.matching("/v1/categories")] == [500, 200]


async def test_persistent_failure_raises_after_retries(
    imatch_url: str, imatch_sim: IMatchSimulator
) -> None:
    async with IMatchClient(imatch_url, user="t", retries=2, retry_delay=0) as client:
        await client.authenticate()
        imatch_sim.knobs.fail_rate = 1.0
        with pytest.raises(IMatchRequestError) as raised:
            await client.category("Socials|flickr")
    assert raised.value.status == 500
    assert imatch_sim.log.count("/v1/categories") == 3


async def test_error_without_body_still_reports_the_status(
    imatch: IMatchClient, imatch_sim: IMatchSimulator
) -> None:
    imatch_sim.settings.error_without_body = True
    with pytest.raises(IMatchRequestError, match="HTTP 400"):
        await imatch.attributes("no-such-set", [1])


async def test_timeout_is_reported_without_hanging(
    imatch_url: str, imatch_sim: IMatchSimulator
) -> None:
    async with IMatchClient(imatch_url, user="t", timeout=0.5, retries=1, retry_delay=0) as c:
        await c.authenticate()
        imatch_sim.knobs.latency = 2.0
        # The retry opens a new connection, which a busy machine may not even accept in
        # time: either timeout is IMatch not answering (CI once saw ConnectTimeout).
        with pytest.raises(IMatchError, match=r"did not answer: (Read|Connect)Timeout"):
            await c.category("Socials|flickr")


async def test_token_never_appears_in_errors_or_logs(
    imatch: IMatchClient, imatch_sim: IMatchSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await imatch.category("Socials|flickr")
    [token] = imatch_sim.sessions
    imatch_sim.knobs.fail_requests = {3}
    await imatch.category("Socials|flickr")
    imatch_sim.settings.max_ids_per_call = 1
    with pytest.raises(IMatchRequestError) as raised:
        await imatch.files([1, 2])
    assert token not in str(raised.value)
    assert token not in repr(imatch)
    assert token not in caplog.text
    assert all(
        "auth_token" not in r.params or r.params["auth_token"] == "***"
        for r in imatch_sim.log.records
    )
