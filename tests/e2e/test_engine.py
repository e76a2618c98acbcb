"""The engine through the session API the TUI uses: cancel, rate limits, batched write-backs."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from sync.engine import RetryPolicy
from sync.events import Event, PhotoDone, Progress, RunFinished, Waiting
from sync.found_errors import stamp_of
from sync.journal import Journal
from sync.plan import PlanItem
from sync.rules import Action
from sync.session import SyncSession
from tests.sync_checks import (
    NO_RATE_LIMITS,
    assert_each_post_once,
    error_categories,
    planned,
    records,
)


class FakeTime:
    """A clock and a sleep that only move when something waits; moves pixelfed's too."""

    def __init__(self, world: SandboxWorld) -> None:
        self.now = 1000.0
        self.world = world
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        self.world.pixelfed.advance(seconds)
        await asyncio.sleep(0)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxWorld]:
    library = tmp_path / "library"
    generate_library(library, 40, cases=False, posted_share=0.5, seed=3)
    with sandbox_world(library) as world:
        world.configure_home(tmp_path / "home", NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        yield world


async def test_cancel_lets_in_flight_work_finish_and_records_it(world: SandboxWorld) -> None:
    events: list[Event] = []
    cancel = asyncio.Event()

    def listen(event: Event) -> None:
        events.append(event)
        if isinstance(event, PhotoDone):
            cancel.set()

    async with SyncSession(retry=RetryPolicy(base_delay=0)) as session:
        plan = await planned(session, "pixelfed")
        adds = plan.bucket(Action.ADD)
        summary = await session.run("pixelfed", adds, emit=listen, cancel=cancel)
    assert summary.cancelled
    assert 1 <= summary.added < len(adds)
    assert summary.added + summary.skipped == len(adds)
    assert isinstance(events[-1], RunFinished)
    assert [e.done for e in events if isinstance(e, Progress)][-1] == len(adds)
    assert_each_post_once(world)


async def test_rate_limit_bursts_are_waited_out_and_announced(world: SandboxWorld) -> None:
    world.pixelfed.settings.rate_limit_writes = 10
    world.pixelfed.settings.rate_limit_window_seconds = 60
    fake = FakeTime(world)
    events: list[Event] = []
    retry = RetryPolicy(attempts=8, base_delay=0, sleep=fake.sleep, clock=fake.clock)
    async with SyncSession(retry=retry) as session:
        plan = await planned(session, "pixelfed")
        wanted = len(plan.bucket(Action.ADD))
        summary = await session.run("pixelfed", emit=events.append)
    assert summary.added == wanted
    assert summary.failed == 0
    waits = [e for e in events if isinstance(e, Waiting) and e.reason == "rate limit"]
    assert waits
    assert all(0 < w.seconds <= 60 for w in waits)
    assert sum(fake.slept) >= 60  # at least one window was waited out, on the fake clock


async def test_write_backs_are_batched(world: SandboxWorld) -> None:
    posted = sorted(records(world, "pixelfed"))
    world.imatch.db.assign("Socials|pixelfed|_delete", posted)
    async with SyncSession(retry=RetryPolicy(base_delay=0)) as session:
        await session.prepare("pixelfed")
        world.imatch.log.clear()
        summary = await session.run(
            "pixelfed", session.platforms["pixelfed"].plan.bucket(Action.DELETE)
        )  # type: ignore[union-attr]
    assert summary.deleted == len(posted) == 20
    assert records(world, "pixelfed") == {}
    writes = world.imatch.log.count(method="POST")
    # Unbatched this would be 3 writes per photo (two unassigns and the record). Each
    # delete now reads the post first (whose it is) and asks IMatch before it, so photos
    # finish further apart and fewer share a batch: about one write per photo on a quiet
    # machine, 21 for 20 photos seen on a loaded one. Two a photo (40) would be batching
    # half lost; unbatched is 60.
    assert writes <= len(posted) * 3 // 2, writes
    assert not world.imatch.db.direct_files("Socials|pixelfed|_delete")


async def test_an_answer_lost_on_the_last_attempt_is_adopted_next_run(
    world: SandboxWorld,
) -> None:
    world.flickr.knobs.drop_rate = 1.0  # every change happens, no answer arrives
    one_try = RetryPolicy(attempts=1, base_delay=0)
    async with SyncSession(retry=one_try) as session:
        plan = await planned(session, "flickr")
        first = plan.bucket(Action.ADD)[0]
        summary = await session.run("flickr", [first])
    assert summary.failed == 1
    assert first.file_id not in records(world, "flickr")
    uploaded = [p for p in world.flickr.state.photos.values() if p.title == first.photo.title]
    assert len(uploaded) == 1  # it did happen, and the journal keeps the intent open

    world.flickr.knobs.drop_rate = 0.0
    async with SyncSession(retry=one_try) as session:
        state = await session.prepare("flickr")
        assert state.reconciliation.adopted == 1
        assert state.plan is not None
        assert state.plan.item(first.file_id).action is Action.UNCHANGED  # type: ignore[union-attr]
    [record] = records(world, "flickr")[first.file_id]
    assert record["photo_id"] == uploaded[0].id
    assert len([p for p in world.flickr.state.photos.values() if p.title == first.photo.title]) == 1


async def test_a_found_upload_is_recorded_even_if_flickr_refuses_part_of_it(
    world: SandboxWorld,
) -> None:
    async with SyncSession(retry=RetryPolicy(attempts=3, base_delay=0)) as session:
        state = await session.prepare("flickr")
        assert state.plan is not None
        item = state.plan.bucket(Action.ADD)[0]
        source = item.photo.master_id or item.file_id
        world.imatch.db.files[source].date_time = "2030-01-01T00:00:00"  # flickr refuses it
        state = await session.rescan("flickr")
        assert state.plan is not None
        item = state.plan.item(item.file_id)  # type: ignore[assignment]
        world.flickr.knobs.drop_mutations = {world.flickr.knobs.mutations + 1}  # the upload
        summary = await session.run("flickr", [item])
    assert summary.added == 1
    assert any("date taken not set" in w for w in summary.warnings)
    [record] = records(world, "flickr")[item.file_id]
    same = [p for p in world.flickr.state.photos.values() if p.title == item.photo.title]
    assert [p.id for p in same] == [record["photo_id"]]


@pytest.fixture
def locked(monkeypatch: pytest.MonkeyPatch) -> set[Path]:
    """Files added to this set cannot be read (open in another program, on Windows)."""
    real_read_bytes = Path.read_bytes
    held: set[Path] = set()

    def read_bytes(path: Path) -> bytes:
        if path in held:
            raise PermissionError(13, "used by another process", str(path))
        return real_read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    return held


async def test_a_file_locked_while_uploading_is_tried_again_next_run(
    world: SandboxWorld, locked: set[Path]
) -> None:
    """An unreadable file (open in another program) is not permanent: the next run tries
    it again, though the photo did not change in IMatch (same on every platform)."""
    async with SyncSession(retry=RetryPolicy(base_delay=0)) as session:
        plan = await planned(session, "pixelfed")
        item = plan.bucket(Action.ADD)[0]
        locked.add(item.rendered.post.file.path)
        summary = await session.run("pixelfed", [item])
    assert summary.failed == 1
    assert error_categories(world, "pixelfed").get("file not readable") == {item.file_id}

    locked.clear()
    async with SyncSession(retry=RetryPolicy(base_delay=0)) as session:
        plan = await planned(session, "pixelfed")
        again = plan.item(item.file_id)
        assert again is not None
        assert again.action is Action.ADD
        summary = await session.run("pixelfed", [again])
    assert summary.added == 1
    assert "file not readable" not in error_categories(world, "pixelfed")


async def test_error_categories_stay_exact_over_two_runs_of_one_plan(
    world: SandboxWorld, locked: set[Path]
) -> None:
    """A TUI session runs the same plan again when the rescan between the runs failed:
    the second run's `__errors` follow what the first run wrote, not the stale scan."""
    async with SyncSession(retry=RetryPolicy(base_delay=0)) as session:
        plan = await planned(session, "pixelfed")
        item = plan.bucket(Action.ADD)[0]
        locked.add(item.rendered.post.file.path)
        await session.run("pixelfed", [item])
        assert error_categories(world, "pixelfed").get("file not readable") == {item.file_id}
        locked.clear()
        summary = await session.run("pixelfed", [item])  # no rescan in between
    assert summary.added == 1, summary.failures
    assert "file not readable" not in error_categories(world, "pixelfed")


def stamp_before_sets_were_sorted(item: PlanItem) -> str:
    """The stamp versions before the sorted one wrote (the rendered post's `repr`)."""
    photo = item.photo
    records = sorted((r.file_id, sorted(r.values.items())) for r in photo.records)
    parts = (photo.fingerprint, sorted(photo.flags), records, repr(item.rendered.post))
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()


async def test_a_refusal_remembered_by_the_previous_version_still_holds(
    world: SandboxWorld, tmp_path: Path
) -> None:
    """An upgrade forgets nothing: a refused upload stored with the earlier stamp (which
    was stable where the post held no set, as on pixelfed) is still held back."""
    async with SyncSession(retry=RetryPolicy(base_delay=0)) as session:
        plan = await planned(session, "pixelfed")
        rejected = plan.bucket(Action.ADD)[0]
    journal = Journal(tmp_path / "home" / "state" / "journal.sqlite")
    old = stamp_before_sets_were_sorted(rejected)
    journal.store.remember_errors("pixelfed", rejected.file_id, ["upload rejected"], old)
    journal.close()
    async with SyncSession(retry=RetryPolicy(base_delay=0)) as session:
        plan = await planned(session, "pixelfed")
        again = plan.item(rejected.file_id)
        assert again is not None
        assert again.action is Action.ERROR
        assert again.verdict.errors == ("upload rejected",)


async def test_only_permanent_errors_hold_an_unchanged_photo_back(
    world: SandboxWorld, tmp_path: Path
) -> None:
    """What an earlier run (or an older version) remembered is held against the photo
    only when the registry says the name is permanent."""
    async with SyncSession(retry=RetryPolicy(base_delay=0)) as session:
        plan = await planned(session, "flickr")
        unreadable, rejected = plan.bucket(Action.ADD)[:2]
    journal = Journal(tmp_path / "home" / "state" / "journal.sqlite")
    journal.store.remember_errors(
        "flickr", unreadable.file_id, ["file not readable"], stamp_of(unreadable)
    )
    journal.store.remember_errors(
        "flickr", rejected.file_id, ["upload rejected"], stamp_of(rejected)
    )
    journal.close()
    async with SyncSession(retry=RetryPolicy(base_delay=0)) as session:
        plan = await planned(session, "flickr")
        assert plan.item(unreadable.file_id).action is Action.ADD  # type: ignore[union-attr]
        assert plan.item(rejected.file_id).action is Action.ERROR  # type: ignore[union-attr]
