"""Never a second upload, never a lost error, account limits, reconciliation reported.

Each test reproduces one way the promise "never a lost or duplicate post" was broken
(issue 11), through the headless command or the session API the TUI uses, over real
HTTP to the simulators.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from sync.engine import RetryPolicy
from sync.rules import Action
from sync.session import SyncSession
from tests.cli_process import start_cli
from tests.sync_checks import (
    NO_RATE_LIMITS,
    PLATFORMS,
    assert_each_post_once,
    error_categories,
    records,
    remote_posts,
    remove_from_imatch,
    sync_once,
)

NOT_FOUND = "photo not found on flickr"


async def no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxWorld]:
    library = tmp_path / "library"
    generate_library(library, 12, cases=False, posted_share=0.5, seed=5)
    with sandbox_world(library) as world:
        world.configure_home(tmp_path / "home", NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        yield world


def unposted(world: SandboxWorld, platform: str) -> list[int]:
    root = world.imatch.db.direct_files(f"Socials|{platform}")
    return sorted(set(root) - set(records(world, platform)))


# --- 2: a failed write-back never leads to a second upload --------------------------------


def session_without_waits() -> SyncSession:
    """A session whose retries, its IMatch client's own brief ones included, do not wait:
    IMatch failing on every call would otherwise cost seconds of real back-off."""
    session = SyncSession(retry=RetryPolicy(attempts=3, base_delay=0, sleep=no_sleep))
    session.client.retry_delay = 0
    return session


async def test_a_failed_write_back_and_a_stale_plan_never_upload_twice(
    world: SandboxWorld,
) -> None:
    async with session_without_waits() as session:
        state = await session.prepare("flickr")
        assert state.plan is not None
        adds = state.plan.bucket(Action.ADD)[:3]

        def imatch_breaks() -> None:  # right after flickr has the first upload
            world.imatch.knobs.fail_rate = 1.0

        world.flickr.knobs.on_mutation = imatch_breaks
        first = await session.run("flickr", adds)
        world.flickr.knobs.on_mutation = None
        assert first.added == 0
        with pytest.raises(Exception):  # noqa: B017, PT011 - the rescan after the run fails too
            await session.rescan("flickr")
        world.imatch.knobs.fail_rate = 0.0
        uploads = len(remote_posts(world, "flickr"))
        # The same (stale) plan is run again, as the TUI would after the failed rescan.
        await session.run("flickr", adds)
        assert len(remote_posts(world, "flickr")) == uploads, "uploaded a second time"
    for item in adds:
        assert len(records(world, "flickr").get(item.file_id, [])) == 1, item.photo.name
    # A later session's reconciliation finds nothing left to add a record for.
    async with session_without_waits() as session:
        await session.prepare("flickr")
    assert_each_post_once(world)


# --- 5: errors found while acting stay in __errors after partial runs ----------------------


def lose_a_post(world: SandboxWorld) -> int:
    """A posted photo flagged `_metadata` whose flickr photo was deleted on flickr."""
    file_id = sorted(records(world, "flickr"))[0]
    photo_id = records(world, "flickr")[file_id][0]["photo_id"]
    del world.flickr.state.photos[photo_id]
    world.imatch.db.assign("Socials|flickr|_metadata", [file_id])
    return file_id


@pytest.mark.parametrize("only", [["errors"], ["add"], ["update"]])
def test_errors_found_while_acting_survive_partial_runs(
    world: SandboxWorld, only: list[str]
) -> None:
    lost = lose_a_post(world)
    sync_once(platforms=["flickr"], only=["metadata"])
    assert error_categories(world, "flickr").get(NOT_FOUND) == {lost}
    _, summary = sync_once(platforms=["flickr"], only=only)
    assert error_categories(world, "flickr").get(NOT_FOUND) == {lost}, summary
    listed = dict(summary["platforms"]["flickr"]["error_photos"])
    assert NOT_FOUND in [e for errors in listed.values() for e in errors]


LOST_POST_ERROR = {
    "flickr": NOT_FOUND,
    "pixelfed": "post not found on pixelfed",
    "mastodon": "post not found on mastodon",
}


def lose_a_post_on(world: SandboxWorld, platform: str) -> int:
    """A posted photo flagged `_metadata` whose post was deleted on the platform."""
    if platform == "flickr":
        return lose_a_post(world)
    file_id = sorted(records(world, platform))[0]
    status_id = records(world, platform)[file_id][0]["status_id"]
    status = getattr(world, platform).state.statuses[status_id]
    status.deleted_at = getattr(world, platform).now()
    if hasattr(status, "purged"):
        status.purged = True
    world.imatch.db.assign(f"Socials|{platform}|_metadata", [file_id])
    return file_id


def run_in_a_process_of_its_own(platform: str, only: str, hash_seed: str) -> None:
    """`imatch-socials --headless` in a new Python (as each scheduled run or press of the
    IMatch app's button is): its string hashes, so the order of its sets, are its own."""
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    child = start_cli("--headless", "--platform", platform, "--only", only, env=env)
    assert child.wait(timeout=120) in (0, 1)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_errors_found_while_acting_survive_a_run_in_another_process(
    world: SandboxWorld, platform: str
) -> None:
    lost = lose_a_post_on(world, platform)
    name = LOST_POST_ERROR[platform]
    run_in_a_process_of_its_own(platform, "metadata", hash_seed="1")
    assert error_categories(world, platform).get(name) == {lost}
    for seed in ("2", "3"):
        run_in_a_process_of_its_own(platform, "errors", hash_seed=seed)
        assert error_categories(world, platform).get(name) == {lost}, seed


def test_errors_survive_a_run_of_a_selection_and_a_cancelled_run(world: SandboxWorld) -> None:
    lost = lose_a_post(world)
    sync_once(platforms=["flickr"], only=["metadata"])

    async def tui_runs() -> None:
        async with SyncSession(retry=RetryPolicy(base_delay=0)) as session:
            state = await session.prepare("flickr")
            assert state.plan is not None
            await session.run("flickr", state.plan.bucket(Action.ADD)[:1])  # a selection
            assert error_categories(world, "flickr").get(NOT_FOUND) == {lost}
            cancel = asyncio.Event()
            cancel.set()
            summary = await session.run("flickr", state.plan.select(), cancel=cancel)
            assert summary.cancelled

    asyncio.run(tui_runs())
    assert error_categories(world, "flickr").get(NOT_FOUND) == {lost}


def test_an_error_found_while_acting_clears_when_the_photo_changes(world: SandboxWorld) -> None:
    lost = lose_a_post(world)
    sync_once(platforms=["flickr"], only=["metadata"])
    assert error_categories(world, "flickr").get(NOT_FOUND) == {lost}
    # The photographer follows the fix text: remove the record, so it is added again.
    for instance in world.imatch.db.instances_of("flickr", lost):
        world.imatch.db.delete_instance(instance.instance_id)
    code, summary = sync_once(platforms=["flickr"])
    assert code == 0, summary
    assert NOT_FOUND not in error_categories(world, "flickr")
    assert len(records(world, "flickr")[lost]) == 1


# --- 6: account limits stop uploads for the run and are not remembered --------------------


def test_flickr_upload_limit_stops_uploads_and_is_tried_again_next_run(
    world: SandboxWorld,
) -> None:
    waiting = unposted(world, "flickr")
    [user] = world.flickr.state.users.values()
    user.is_pro = False  # a free account: at most `free_account_photo_limit` photos
    world.flickr.settings.free_account_photo_limit = (
        len(world.flickr.state.photos_of(user.nsid)) + 2
    )
    code, summary = sync_once(platforms=["flickr"])
    result = summary["platforms"]["flickr"]
    assert code == 1
    assert result["added"] == 2
    assert "upload limit" in result["limited"]
    assert result["failed"] == 0
    assert "upload limit reached" not in error_categories(world, "flickr")
    # The dry run and the real run plan alike: the rest is still to add.
    _, dry = sync_once(platforms=["flickr"], dry_run=True)
    assert dry["platforms"]["flickr"]["plan"]["add"] == len(waiting) - 2
    user.is_pro = True  # the account was upgraded
    code, summary = sync_once(platforms=["flickr"])
    assert code == 0, summary
    assert summary["platforms"]["flickr"]["added"] == len(waiting) - 2
    assert_each_post_once(world)


def test_pixelfed_storage_full_stops_uploads_and_is_tried_again_next_run(
    world: SandboxWorld,
) -> None:
    waiting = unposted(world, "pixelfed")
    world.pixelfed.settings.max_account_size_kb = 1
    code, summary = sync_once(platforms=["pixelfed"])
    result = summary["platforms"]["pixelfed"]
    assert code == 1
    assert result["added"] == 0
    assert "storage" in result["limited"]
    assert result["skipped"] == len(waiting)
    assert "account storage full" not in error_categories(world, "pixelfed")
    world.pixelfed.settings.max_account_size_kb = None
    code, summary = sync_once(platforms=["pixelfed"])
    assert code == 0, summary
    assert summary["platforms"]["pixelfed"]["added"] == len(waiting)


# --- 8: reconciliation is counted and reported -----------------------------------------------


def test_recovered_posts_are_counted_in_the_json(world: SandboxWorld) -> None:
    waiting = unposted(world, "flickr")
    world.flickr.knobs.drop_rate = 1.0  # every change happens, no answer arrives
    once = RetryPolicy(attempts=1, base_delay=0, sleep=no_sleep)
    sync_once(platforms=["flickr"], retry=once)
    assert records(world, "flickr").keys().isdisjoint(waiting)
    world.flickr.knobs.drop_rate = 0.0
    code, summary = sync_once(platforms=["flickr"])
    assert code == 0, summary
    assert summary["platforms"]["flickr"]["adopted"] == len(waiting)
    assert summary["platforms"]["flickr"]["added"] == 0
    assert_each_post_once(world)


def test_an_intent_whose_file_is_gone_is_reported_once_with_the_post_url(
    world: SandboxWorld,
) -> None:
    gone = unposted(world, "flickr")[0]
    _, dry = sync_once(platforms=["flickr"], dry_run=True)
    [title] = [p["title"] for p in dry["platforms"]["flickr"]["photos"] if p["id"] == gone]
    world.flickr.knobs.drop_rate = 1.0
    once = RetryPolicy(attempts=1, base_delay=0, sleep=no_sleep)
    sync_once(platforms=["flickr"], retry=once)
    world.flickr.knobs.drop_rate = 0.0
    remove_from_imatch(world, gone)
    [posted] = [p for p in world.flickr.state.photos.values() if p.title == title]
    code, summary = sync_once(platforms=["flickr"])
    text = json.dumps(summary)
    assert f"/{posted.id}/" in text, text
    assert posted.id in world.flickr.state.photos  # the post is left alone
    code, again = sync_once(platforms=["flickr"])
    assert posted.id not in json.dumps(again)
    assert code == 0, again


async def test_an_add_with_an_open_intent_is_never_started(world: SandboxWorld) -> None:
    """The guard at execution time, below reconciliation: an upload that may exist (its
    intent still open) holds the photo back even if the plan says add."""
    async with SyncSession(retry=RetryPolicy(base_delay=0)) as session:
        state = await session.prepare("flickr")
        assert state.plan is not None
        assert session.journal is not None
        item = state.plan.bucket(Action.ADD)[0]
        session.journal.begin("flickr", item.file_id, "add")  # e.g. another run's, unsettled
        uploads = world.flickr.log.count("/services/upload/")
        engine = session._engine(state, state.plan)
        summary = await engine.run([item])
    assert world.flickr.log.count("/services/upload/") == uploads
    assert summary.added == 0
    assert summary.failures == [
        (item.photo.name, "upload not confirmed: an earlier upload of it may exist")
    ]
    assert item.file_id not in records(world, "flickr")
