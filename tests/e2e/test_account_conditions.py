"""The sandbox's account conditions (DESIGN section 8) end to end: throttled and moderated
flickr groups, a free flickr account and transient flickr failures, over real HTTP.

Group throttles last a day on flickr's side, so flickr's clock and the app's wall clock
are one fake clock here, moved by the test.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import sync.pending_groups
from benchmarks.account_soak import soak
from sandbox.flickr_methods import METHODS, ApiError
from sandbox.library import MODERATED_GROUP, THROTTLED_GROUP, LibraryInfo
from sandbox.seeding import THROTTLE_PER_DAY
from sandbox.world import SandboxWorld, sandbox_world
from sync.engine import RetryPolicy
from sync.headless import HeadlessOptions, run_headless
from sync.journal import Journal
from sync.platforms.base import PermanentError
from sync.report import Reporter
from sync.state_store import PendingGroup
from sync.visible_text import visible
from tests.sync_checks import (
    NO_RATE_LIMITS,
    assert_each_post_once,
    headless_lines,
    records,
    sync_once,
)

DAY = 86400.0


class FakeClock:
    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(sync.pending_groups, "wall_clock", fake)
    return fake


def in_world(
    library: LibraryInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **conditions: object
) -> Iterator[SandboxWorld]:
    """A world of the demo library (the session's copy, read-only) on these conditions."""
    with sandbox_world(library.path, **conditions) as world:  # type: ignore[arg-type]
        world.configure_home(tmp_path, NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
        yield world


@pytest.fixture
def throttled(
    sample_library: LibraryInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> Iterator[SandboxWorld]:
    for world in in_world(sample_library, tmp_path, monkeypatch, flickr_groups="throttled"):
        world.flickr.clock = clock
        yield world


def assert_ours_once(world: SandboxWorld) -> None:
    """Each flickr record points at its own live photo, and every photo an upload of ours
    made (it carries our machine tag) has a record (the account's own photos have none)."""
    # A record typed in by hand without its ids (empty or a zero-width space: cases of the
    # sample library) is no post.
    have = {f: r for f, r in records(world, "flickr").items() if visible(r[0].get("photo_id", ""))}
    recorded = [r[0]["photo_id"] for r in have.values()]
    assert all(len(r) == 1 for r in have.values())
    assert len(recorded) == len(set(recorded))
    assert set(recorded) <= set(world.flickr.state.photos)
    ours = {p.id for p in world.flickr.state.photos.values() if p.machine_tags}
    assert ours <= set(recorded)


def pending(tmp_path: Path) -> list[PendingGroup]:
    journal = Journal(tmp_path / "state" / "journal.sqlite")
    try:
        return journal.store.pending_groups("flickr")
    finally:
        journal.close()


def group(world: SandboxWorld, name: str):  # type: ignore[no-untyped-def]
    return next(g for g in world.flickr.state.groups.values() if g.name == name)


def pool_adds(world: SandboxWorld, mark: int) -> int:
    return sum(
        1
        for r in world.flickr.log.records[mark:]
        if r.params.get("method") == "flickr.groups.pools.add"
    )


def test_throttled_group_adds_wait_for_a_later_run_after_the_window(
    throttled: SandboxWorld, tmp_path: Path, clock: FakeClock
) -> None:
    world = throttled
    busy, curated = group(world, THROTTLED_GROUP), group(world, MODERATED_GROUP)
    code, summary = sync_once(platforms=["flickr"])
    result = summary["platforms"]["flickr"]
    assert code == 1  # the corrupt file of the sample library, as always
    wanted = 5  # the sample library's new photos in the throttled group
    assert len(busy.pool) == THROTTLE_PER_DAY
    assert len(curated.pending) == 3  # a moderated pool: done, shown as pending
    assert curated.pool == []
    left = pending(tmp_path)
    assert len(left) == wanted - THROTTLE_PER_DAY
    assert {p.group_id for p in left} == {busy.id}
    assert all(clock.now + 3500 < p.due <= clock.now + 3600 for p in left)
    text = "\n".join(result["warnings"])
    assert f"group {THROTTLED_GROUP} ({busy.id}): pending: throttled" in text
    assert "2 photos a day" in text
    assert f"group {MODERATED_GROUP} ({curated.id}): added, pending" in text
    assert "3 group add(s) pending" in text
    # The photos themselves are done: no error names, no failure for the group adds.
    assert result["failed"] == 1

    # A run before they are due does not ask flickr.
    mark = len(world.flickr.log)
    code, summary = sync_once(platforms=["flickr"])
    assert code == 0
    assert pool_adds(world, mark) == 0
    assert len(pending(tmp_path)) == 3

    # An hour later the group's day is not over: one call finds that out.
    clock.now += 3600
    mark = len(world.flickr.log)
    sync_once(platforms=["flickr"])
    assert pool_adds(world, mark) == 1
    assert len(pending(tmp_path)) == 3

    # A day later the group takes two more; the third waits for the next day.
    clock.now += DAY
    code, summary = sync_once(platforms=["flickr"])
    assert code == 0
    assert len(busy.pool) == 2 * THROTTLE_PER_DAY
    assert len(pending(tmp_path)) == 1
    assert any("done now" in w for w in summary["platforms"]["flickr"]["warnings"])
    clock.now += DAY
    sync_once(platforms=["flickr"])
    assert len(busy.pool) == wanted
    assert pending(tmp_path) == []
    assert len(curated.pending) == 3
    assert_each_post_once(world)


def test_group_adds_left_pending_are_shown_by_every_later_run_and_dry_run(
    throttled: SandboxWorld, tmp_path: Path, clock: FakeClock
) -> None:
    """Pending adds are remembered across runs, so every later report says they are there
    (and when they are tried), not only the run that met the throttle."""
    sync_once(platforms=["flickr"])
    assert len(pending(tmp_path)) == 3
    due = time.strftime("%Y-%m-%d %H:%M", time.localtime(clock.now + 3600))

    # A run before they are due: nothing to do for the photos, the adds still wait.
    code, summary = sync_once(platforms=["flickr"])
    assert code == 0
    said = "\n".join(summary["platforms"]["flickr"]["warnings"])
    assert f"3 group add(s) pending: the groups' limits are reached, tried again from {due}" in (
        said
    )

    # A dry run (what the TUI shows at start too) names them before anything runs.
    reporter = Reporter(io.StringIO(), json_mode=False)
    reporter.lines = io.StringIO()
    run_headless(HeadlessOptions(platforms=["flickr"], dry_run=True), reporter)
    lines = reporter.lines.getvalue()
    assert "flickr: warning: 3 group add(s) left pending by earlier runs" in lines, lines
    assert f"tried again on a run from {due}" in lines
    _, planned = sync_once(platforms=["flickr"], dry_run=True)
    [line] = planned["platforms"]["flickr"]["warnings"]
    assert line.startswith("3 group add(s) left pending by earlier runs")

    # Due: a dry run says a real run tries them now.
    clock.now += DAY
    _, planned = sync_once(platforms=["flickr"], dry_run=True)
    [line] = planned["platforms"]["flickr"]["warnings"]
    assert line.endswith("due now, a run (not a dry run) tries them")

    # Once they are all done, nothing is said of them any more.
    for _ in range(3):
        sync_once(platforms=["flickr"])
        clock.now += DAY
    assert pending(tmp_path) == []
    code, summary = sync_once(platforms=["flickr"])
    assert not [w for w in summary["platforms"]["flickr"]["warnings"] if "group add" in w]


def test_pending_group_adds_stop_at_the_first_outage_instead_of_waiting_on_each(
    throttled: SandboxWorld, tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """flickr's pools down at the start of a run: the adds left pending are not each
    retried with back-off (minutes per photo); they wait for the next run, said once."""
    sync_once(platforms=["flickr"])
    assert len(pending(tmp_path)) == 3
    clock.now += DAY

    def unavailable(call: object) -> list[object]:
        raise ApiError(105, "Service currently unavailable")

    name = "flickr.groups.pools.add"
    monkeypatch.setitem(METHODS, name, dataclasses.replace(METHODS[name], handler=unavailable))
    mark = len(throttled.flickr.log)
    retry = RetryPolicy(attempts=3, base_delay=0.0, sleep=_no_wait)
    _, summary = sync_once(platforms=["flickr"], retry=retry)
    assert pool_adds(throttled, mark) == 3  # one photo's attempts, not three photos'
    said = [w for w in summary["platforms"]["flickr"]["warnings"] if "not tried" in w]
    assert len(said) == 1, said
    assert "the next run tries them" in said[0]
    assert len(pending(tmp_path)) == 3


async def _no_wait(seconds: float) -> None:
    return None


def test_a_pending_group_add_is_dropped_when_imatch_no_longer_names_the_group(
    throttled: SandboxWorld, tmp_path: Path, clock: FakeClock
) -> None:
    world = throttled
    sync_once(platforms=["flickr"])
    left = pending(tmp_path)
    category = f"Socials|flickr|groups|{THROTTLED_GROUP}"
    world.imatch.db.unassign(category, [p.file_id for p in left])
    clock.now += DAY
    mark = len(world.flickr.log)
    sync_once(platforms=["flickr"])
    assert pool_adds(world, mark) == 0
    assert pending(tmp_path) == []


@pytest.fixture
def free(
    sample_library: LibraryInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[SandboxWorld]:
    yield from in_world(sample_library, tmp_path, monkeypatch, flickr_account="free")


def test_a_free_accounts_private_upload_limit_stops_uploads_for_the_run(
    free: SandboxWorld,
) -> None:
    world = free
    code, summary = sync_once(platforms=["flickr"])
    result = summary["platforms"]["flickr"]
    assert code == 1
    assert result["added"] == 2  # 48 private photos were there; 50 is the limit
    # One refused upload told the adapter; no other file was sent to be refused.
    assert len(world.flickr.log.matching("/services/upload/")) == result["added"] + 1
    reasons = {reason for _, reason in result["failures"] if "upload limit" in reason}
    assert len(reasons) <= 1
    assert all("50 of them private" in reason for reason in reasons)
    assert "upload limit reached" not in str(result["error_photos"])
    assert_ours_once(world)


def test_a_free_accounts_upload_limit_is_one_message_not_a_failure_per_photo(
    free: SandboxWorld,
) -> None:
    _, summary = sync_once(platforms=["flickr"])
    result = summary["platforms"]["flickr"]
    assert "upload limit" in result["limited"]
    # At most the sample library's corrupt file, if its turn came before the limit.
    assert result["failed"] <= 1
    assert result["skipped"] > 0  # the rest were not started, and are tried next run


def test_a_free_accounts_update_keeps_the_image_and_says_why(free: SandboxWorld) -> None:
    world = free
    _, summary = sync_once(platforms=["flickr"])
    update_id = next(
        f.id for f in world.imatch.db.files.values() if f.expect.get("case") == "update"
    )
    [record] = records(world, "flickr")[update_id]
    photo = world.flickr.photo(record["photo_id"])
    assert photo.replace_count == 0
    assert photo.title.startswith("Morning fog over the lake")  # the text was updated
    # Counted as what happened: the text updated, no image replaced.
    counts = summary["platforms"]["flickr"]
    assert counts["updated"] == 0
    assert counts["metadata"] >= 1
    assert world.flickr.log.count("/services/replace/") == 0
    assert any(
        w.startswith(f"{name}: image not replaced:")
        for name in {world.imatch.db.files[update_id].file_name.rsplit("/", 1)[-1]}
        for w in summary["platforms"]["flickr"]["warnings"]
    ), summary["platforms"]["flickr"]["warnings"]


def test_transient_flickr_failures_end_with_every_photo_once(
    sample_library: LibraryInfo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clock: FakeClock
) -> None:
    waited = [1000.0]  # small numbers: the limiter's fractions of a second add up exactly

    async def sleep(seconds: float) -> None:
        waited[0] += seconds  # back-off and rate-limit pauses pass at once
        clock.now += seconds
        await asyncio.sleep(0)

    retry = RetryPolicy(attempts=8, base_delay=1.0, sleep=sleep, clock=lambda: waited[0])
    for world in in_world(sample_library, tmp_path, monkeypatch, flickr_transient=0.2):
        sync_once(platforms=["flickr"], retry=retry)
        world.flickr.settings.transient_rate = 0.0
        code, summary = sync_once(platforms=["flickr"], retry=retry)
        assert code == 0, summary["platforms"]["flickr"]["failures"]
        failing = [r.status for r in world.flickr.log.records if r.status in (429, 502, 503)]
        assert failing, "no HTML error page was answered"
        assert_each_post_once(world)


def test_account_soak_short(tmp_path: Path) -> None:
    """`benchmarks/account_soak.py` at 40 photos: the figures RESULTS.md gives at 300."""
    throttled, free_account = soak(40, seed=2, work=tmp_path)
    first, second = throttled.runs
    assert (first.exit_code, first.added, first.failed) == (0, 40, 0)
    assert first.pending_after > 0
    assert second.due_retried == first.pending_after
    assert any("done now" in line for line in second.lines)
    assert second.pending_after == first.pending_after - THROTTLE_PER_DAY
    assert throttled.duplicates == 0
    assert free_account.runs[0].added == 2
    assert free_account.runs[0].reasons == []  # the limit is one message, not failures
    assert any(line.startswith("limited: ") for line in free_account.runs[0].lines)
    assert free_account.duplicates == 0


def test_a_free_accounts_kept_image_is_logged_as_a_metadata_update(free: SandboxWorld) -> None:
    update = next(f for f in free.imatch.db.files.values() if f.expect.get("case") == "update")
    name = update.file_name.rsplit("/", 1)[-1]
    said = headless_lines("flickr")
    assert f"flickr: updated metadata of {name}" in said, said
    assert f"flickr: warning: {name}: image not replaced:" in said


def test_a_free_accounts_limit_is_said_once_as_it_happens_and_once_in_the_summary(
    free: SandboxWorld,
) -> None:
    said = headless_lines("flickr")
    reason = "A free flickr account holds at most 1,000 photos"
    assert said.count(reason) == 2, said  # "no more uploads this run", then the summary
    assert "flickr: no more uploads this run: flickr refused the upload" in said
    assert "flickr: Uploads stopped: flickr refused the upload" in said
    assert "not uploaded are tried again next run" in said


def test_pending_group_adds_and_change_detection(
    throttled: SandboxWorld, tmp_path: Path, clock: FakeClock
) -> None:
    """A photo whose group add waits is not `changed` meanwhile (the pending add is
    retried by itself) and not once it is done; a pending add the group refuses when it
    is retried is said, not counted as done, and leaves the photo `changed` (groups)."""
    world = throttled
    busy = group(world, THROTTLED_GROUP)
    sync_once(platforms=["flickr"])
    waiting = {p.file_id for p in pending(tmp_path)}
    assert len(waiting) == 3
    _, dry = sync_once(dry_run=True, platforms=["flickr"])
    assert dry["platforms"]["flickr"]["plan"]["changed"] == 0

    clock.now += DAY  # two of the three are taken
    code, summary = sync_once(platforms=["flickr"])
    assert code == 0, summary
    [last] = pending(tmp_path)
    taken = waiting - {last.file_id}
    _, dry = sync_once(dry_run=True, platforms=["flickr"])
    assert dry["platforms"]["flickr"]["plan"]["changed"] == 0
    journal = Journal(tmp_path / "state" / "journal.sqlite")
    try:
        published = journal.store.published("flickr")
        assert all(busy.id in published[f].owns("groups") for f in taken)
    finally:
        journal.close()

    busy.pool_disabled = True  # the group's admins closed its pool meanwhile
    clock.now += DAY
    code, summary = sync_once(platforms=["flickr"])
    warnings = "\n".join(summary["platforms"]["flickr"]["warnings"])
    assert "pool is disabled" in warnings
    assert "done now" not in warnings
    assert last.file_id not in busy.pool
    assert pending(tmp_path) == []
    _, dry = sync_once(dry_run=True, platforms=["flickr"])
    entry = next(p for p in dry["platforms"]["flickr"]["photos"] if p["id"] == last.file_id)
    assert entry["action"] == "changed"
    assert list(entry["changed"]) == ["groups"]


def test_a_pending_group_add_follows_a_photo_whose_assignment_moves(
    throttled: SandboxWorld, tmp_path: Path, clock: FakeClock
) -> None:
    """The add waits under the Socials file; the assignment then moves from the version
    to its master (the same post): the add is still made when the group takes it."""
    world = throttled
    busy = group(world, THROTTLED_GROUP)
    sync_once(platforms=["flickr"])
    waiting = next(p.file_id for p in pending(tmp_path) if world.imatch.db.master_groups(p.file_id))
    [[master]] = world.imatch.db.master_groups(waiting)
    [record] = records(world, "flickr")[waiting]
    world.imatch.db.assign("Socials|flickr", [master])
    world.imatch.db.unassign("Socials|flickr", [waiting])
    world.imatch.db.assign(f"Socials|flickr|groups|{THROTTLED_GROUP}", [master])

    for _ in range(3):  # the group takes two a day: the moved photo's turn comes
        clock.now += DAY
        sync_once(platforms=["flickr"])
    assert record["photo_id"] in busy.pool
    assert pending(tmp_path) == []


def test_a_moved_photos_pending_add_given_up_is_settled_where_it_waits(
    throttled: SandboxWorld, tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The add of a photo whose assignment moved waits under its new Socials file; when
    flickr then refuses it for good, it is given up there, once, not left for the next
    run to give up again."""
    world = throttled
    sync_once(platforms=["flickr"])
    waiting = next(p.file_id for p in pending(tmp_path) if world.imatch.db.master_groups(p.file_id))
    [[master]] = world.imatch.db.master_groups(waiting)
    world.imatch.db.assign("Socials|flickr", [master])
    world.imatch.db.unassign("Socials|flickr", [waiting])
    world.imatch.db.assign(f"Socials|flickr|groups|{THROTTLED_GROUP}", [master])

    def refused_for_good(*_: object) -> object:
        async def attempt() -> object:
            raise PermanentError("photo not found", "the pool refuses it")

        return attempt

    monkeypatch.setattr(sync.pending_groups, "_adding", refused_for_good)
    clock.now += DAY
    _, summary = sync_once(platforms=["flickr"])
    given_up = [w for w in summary["platforms"]["flickr"]["warnings"] if "given up" in w]
    assert given_up
    assert all(p.file_id != master for p in pending(tmp_path))
    clock.now += DAY
    _, summary = sync_once(platforms=["flickr"])
    assert not [w for w in summary["platforms"]["flickr"]["warnings"] if "given up" in w]
