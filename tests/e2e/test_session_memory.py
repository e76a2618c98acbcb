"""What a session lets go of while it plans: a dry run's plan once it is listed, and the
whole IMatch read once the last platform is planned (issue 17: the headless peak at
50,000 photos is one platform's photos and the shared read, not every platform's)."""

from __future__ import annotations

import asyncio
import gc
import io
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import sync.plan
from imatch.library import Publication
from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from sync.headless import HeadlessOptions, run_headless
from sync.plan import Plan, ScanProgress
from sync.platforms.base import Limits
from sync.report import Reporter
from sync.retry import RetryPolicy
from sync.session import SyncSession
from tests.sync_checks import NO_RATE_LIMITS, PLATFORMS


async def _no_sleep(seconds: float) -> None:
    return None


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxWorld]:
    library = tmp_path / "library"
    generate_library(library, 8, cases=False, posted_share=0.5, seed=11)
    with sandbox_world(library) as world:
        world.configure_home(tmp_path / "home", NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        yield world


class WatchingReporter(Reporter):
    """Notes, when each platform starts to be read, which earlier plans are still alive."""

    def __init__(self) -> None:
        super().__init__(io.StringIO(), json_mode=False)
        self.listed: list[weakref.ref[Plan]] = []
        self.alive_at_start: dict[str, int] = {}

    def plan(self, plan: Plan, dry_run: bool, limits: Limits | None = None) -> None:
        super().plan(plan, dry_run, limits)
        self.listed.append(weakref.ref(plan))

    def scan_progress(self, platform: str) -> ScanProgress:
        shown = super().scan_progress(platform)

        def watch(stage: str, done: int, total: int) -> None:
            if platform not in self.alive_at_start:
                gc.collect()
                self.alive_at_start[platform] = sum(1 for p in self.listed if p() is not None)
            shown(stage, done, total)

        return watch


def test_a_dry_run_lets_each_plan_go_once_listed_before_reading_the_next(
    world: SandboxWorld,
) -> None:
    reporter = WatchingReporter()
    code = run_headless(
        HeadlessOptions(dry_run=True, retry=RetryPolicy(base_delay=0, sleep=_no_sleep)),
        reporter,
    )
    assert code == 0
    assert list(reporter.alive_at_start) == list(PLATFORMS)
    assert len(reporter.listed) == len(PLATFORMS)
    # Every platform was listed, and none of the plans listed before it was still held.
    assert set(reporter.alive_at_start.values()) == {0}, reporter.alive_at_start
    printed = reporter.out.getvalue()  # type: ignore[attr-defined]
    for name in PLATFORMS:
        assert f"{name} (dry run):" in printed
    gc.collect()
    assert all(plan() is None for plan in reporter.listed)


def test_the_whole_read_is_let_go_once_the_last_platform_is_planned(
    world: SandboxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[weakref.ref[Publication]] = []
    reused: list[bool] = []
    read_publication = sync.plan.read_publication

    async def watched(*args: Any, **kwargs: Any) -> Publication:
        reused.append(kwargs.get("reuse") is not None)
        publication = await read_publication(*args, **kwargs)
        reads.append(weakref.ref(publication))
        return publication

    monkeypatch.setattr(sync.plan, "read_publication", watched)

    async def prepare() -> list[Plan | None]:
        async with SyncSession(dry_run=True, retry=RetryPolicy(sleep=_no_sleep)) as session:
            states = await session.prepare_all()
            gc.collect()
            alive = [read() is not None for read in reads]
            assert alive == [False] * len(PLATFORMS)
            return [state.plan for state in states.values()]

    plans = asyncio.run(prepare())
    # One IMatch read for all platforms: each after the first reused the one before it.
    assert reused == [False] + [True] * (len(PLATFORMS) - 1)
    assert len(plans) == len(PLATFORMS)
    for plan in plans:
        assert plan is not None
        assert plan.items
        # A plan keeps the outline its run needs (root, layout, subtrees), no files.
        assert plan.publication.exists
        assert plan.publication.root.endswith(plan.platform)
        assert not plan.publication.files
        assert not plan.publication.candidates


def test_a_long_dry_run_listing_is_written_in_blocks_not_held_whole(
    world: SandboxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sync.report

    def listing(block: int) -> tuple[str, list[str]]:
        monkeypatch.setattr(sync.report, "LISTING_BLOCK", block)
        writes: list[str] = []

        class Counting(io.StringIO):
            def write(self, text: str) -> int:
                writes.append(text)
                return super().write(text)

        out = Counting()
        code = run_headless(
            HeadlessOptions(
                platforms=["flickr"],
                dry_run=True,
                retry=RetryPolicy(base_delay=0, sleep=_no_sleep),
            ),
            Reporter(out, json_mode=False),
        )
        assert code == 0
        return out.getvalue(), writes

    whole, _ = listing(10_000)
    blocks, writes = listing(4)
    assert blocks == whole  # the same text...
    listed = [w for w in writes if w.startswith("  ")]
    assert len(listed) > 1  # ...written in several blocks
    assert all(w.count("\n") < 4 for w in listed)


def test_a_scan_makes_no_full_collector_pass_and_leaves_the_collector_as_it_was(
    world: SandboxWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    during: list[tuple[int, int, int]] = []
    read_publication = sync.plan.read_publication

    async def watched(*args: Any, **kwargs: Any) -> Publication:
        during.append(gc.get_threshold())
        return await read_publication(*args, **kwargs)

    monkeypatch.setattr(sync.plan, "read_publication", watched)
    before = gc.get_threshold()

    async def prepare() -> None:
        async with SyncSession(dry_run=True, retry=RetryPolicy(sleep=_no_sleep)) as session:
            await session.prepare_all()

    asyncio.run(prepare())
    assert len(during) == len(PLATFORMS)
    assert all(t[:2] == before[:2] and t[2] == sync.plan.NEVER for t in during)
    assert gc.get_threshold() == before


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_headless_run_pauses_the_cycle_collector_while_it_reads_and_plans(
    world: SandboxWorld, monkeypatch: pytest.MonkeyPatch, dry_run: bool
) -> None:
    """A scan makes a million objects that live on and almost no cyclic garbage: the
    collector walking them was a twentieth of a dry run's CPU (issue 17). Headless, it is
    off while the platforms are read and planned and on again once they are."""
    during: list[bool] = []
    read_publication = sync.plan.read_publication

    async def watched(*args: Any, **kwargs: Any) -> Publication:
        during.append(gc.isenabled())
        return await read_publication(*args, **kwargs)

    monkeypatch.setattr(sync.plan, "read_publication", watched)
    reporter = Reporter(io.StringIO(), json_mode=False)
    code = run_headless(
        HeadlessOptions(dry_run=dry_run, retry=RetryPolicy(base_delay=0, sleep=_no_sleep)),
        reporter,
    )
    assert code == 0, reporter.out.getvalue()  # type: ignore[attr-defined]
    assert during == [False] * len(PLATFORMS)
    assert gc.isenabled()


def test_the_collector_stays_off_after_a_headless_run_if_it_was_off() -> None:
    gc.disable()
    try:
        with sync.plan.collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(RuntimeError), sync.plan.collector_paused():
        raise RuntimeError
    assert gc.isenabled()


def test_a_headless_start_imports_no_command_line_tools_nor_what_only_a_run_needs() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import sync.cli, sync.headless, sync.session, httpx\n"
        "client = httpx.AsyncClient()\n"  # httpx works as before
        "unwanted = ('rich', 'click', 'pygments', 'importlib.metadata', 'sync.engine', "
        "'filelock')\n"
        "print(sorted(m for m in sys.modules if m.startswith(unwanted)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
    version = subprocess.run(
        [sys.executable, "-m", "sync.cli", "--version"], capture_output=True, text=True
    )
    assert version.returncode == 0
    assert version.stdout.startswith("imatch-socials ")


def test_a_planned_photo_keeps_its_file_location_as_text_and_makes_the_path_when_asked(
    world: SandboxWorld,
) -> None:
    from pathlib import Path

    async def prepare() -> list[Plan | None]:
        async with SyncSession(dry_run=True, retry=RetryPolicy(sleep=_no_sleep)) as session:
            states = await session.prepare_all(["flickr"])
            return [state.plan for state in states.values()]

    [plan] = asyncio.run(prepare())
    assert plan is not None
    files = [item.photo.file for item in plan.items]
    assert files
    for file in files:
        assert type(file.location) is str  # no `Path` (and its parsed parts) per photo
        assert isinstance(file.path, Path)
        assert str(file.path) == str(Path(file.location))
    assert any(file.path.is_file() for file in files)


def test_the_read_is_let_go_once_the_last_platform_has_built_its_photos(
    world: SandboxWorld,
) -> None:
    """The files as IMatch sent them go before the last platform's photos are planned
    (classified, compared), not after its plan is made: that planning then reuses their
    memory instead of adding to the peak (issue 17, the TUI at 50,000 photos)."""
    from imatch.models import FileInfo

    files_alive: dict[str, list[int]] = {}

    def progress(platform: str) -> ScanProgress:
        def watch(stage: str, done: int, total: int) -> None:
            if stage == "planning":
                gc.collect()
                count = sum(1 for o in gc.get_objects() if type(o) is FileInfo)
                files_alive.setdefault(platform, []).append(count)

        return watch

    async def prepare() -> None:
        async with SyncSession(dry_run=True, retry=RetryPolicy(sleep=_no_sleep)) as session:
            states = await session.prepare_all(progress=progress)
            assert all(state.plan is not None and state.plan.items for state in states.values())

    asyncio.run(prepare())
    *earlier, last = PLATFORMS
    # The platforms before the last keep the read for the next one to reuse...
    for name in earlier:
        assert min(files_alive[name]) > 0, files_alive
    # ...the last lets it go as soon as its photos are built.
    assert files_alive[last], files_alive
    assert set(files_alive[last]) == {0}, files_alive
