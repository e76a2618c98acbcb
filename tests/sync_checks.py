"""Helpers for end-to-end tests: run the headless sync in-process and check the end state."""

from __future__ import annotations

import io
import json
import os
import signal
import threading
from typing import Any

from sandbox.library import RECORD_IDS
from sandbox.world import SandboxWorld
from sync.engine import RetryPolicy
from sync.headless import HeadlessOptions, run_headless
from sync.plan import Plan
from sync.report import Reporter
from sync.session import SyncSession
from sync.visible_text import visible
from tests.cli_process import ChildProcess

PLATFORMS = ("flickr", "pixelfed", "mastodon")
# The client-side limits (flickr 3600 calls an hour, bursts of 60) would make long tests
# wait a second per call once the burst is spent; the limiter has tests of its own.
NO_RATE_LIMITS = {
    "flickr": {"rate_per_hour": 3_600_000},
    "pixelfed": {"rate_per_hour": 3_600_000},
    "mastodon": {"rate_per_hour": 3_600_000},
}


def without_rate_limits(**settings: dict[str, object]) -> dict[str, dict[str, object]]:
    """`NO_RATE_LIMITS` with some platforms' settings added (`pixelfed={...}`), for
    `SandboxWorld.configure_home`."""
    return {name: {**values, **settings.get(name, {})} for name, values in NO_RATE_LIMITS.items()}


ONE_AT_A_TIME = {p: {**NO_RATE_LIMITS[p], "concurrency": 1} for p in PLATFORMS}
"""No client-side limits, and one photo at a time: changes happen in a fixed order."""


async def _no_sleep(seconds: float) -> None:
    return None


def sync_once(**options: Any) -> tuple[int, dict[str, Any]]:
    """One headless run (no back-off delays); returns the exit code and the JSON summary."""
    out = io.StringIO()
    retry = options.pop("retry", RetryPolicy(attempts=8, base_delay=0.0, sleep=_no_sleep))
    code = run_headless(
        HeadlessOptions(json=True, retry=retry, **options), Reporter(out, json_mode=True)
    )
    return code, json.loads(out.getvalue())


def headless_lines(platform: str, **options: Any) -> str:
    """What a headless run of `platform` says, as plain lines."""
    reporter = Reporter(io.StringIO(), json_mode=False)
    reporter.lines = io.StringIO()
    run_headless(HeadlessOptions(platforms=[platform], **options), reporter)
    return reporter.lines.getvalue()


def cannot_run_line(platform: str) -> str:
    """The one line a headless run of `platform` gives for why it cannot run."""
    said = headless_lines(platform)
    lines = [line for line in said.splitlines() if "cannot run" in line]
    assert len(lines) == 1, said
    return lines[0]


def remote_posts(world: SandboxWorld, platform: str) -> dict[str, Any]:
    """Live posts on a simulator: flickr photo id, or pixelfed/Mastodon status id -> the post."""
    if platform == "flickr":
        return dict(world.flickr.state.photos)
    sim = getattr(world, platform)
    account = next(iter(sim.state.accounts))
    return {s.id: s for s in sim.statuses_of(account)}


def platform_simulators(world: SandboxWorld) -> tuple[Any, ...]:
    """The simulator of every platform (each has `knobs`, `log` and `state`)."""
    return tuple(getattr(world, platform) for platform in PLATFORMS)


def simulators(world: SandboxWorld) -> tuple[Any, ...]:
    """IMatch's simulator and every platform's."""
    return (world.imatch, *platform_simulators(world))


def post_text(platform: str, post: Any) -> str:
    """What a live post shows first: flickr's title, pixelfed's caption, Mastodon's text."""
    if platform == "flickr":
        return str(post.title)
    return str(post.text if platform == "mastodon" else post.caption)


def edits_of(platform: str, post: Any) -> int:
    """How often a pixelfed or Mastodon post was edited (each edit shows in its history)."""
    if platform == "mastodon":
        return sum(1 for edit in post.edits if edit.counted)
    return int(post.edit_count)


def records(world: SandboxWorld, platform: str) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    for instance in world.imatch.db.instances.values():
        if instance.set_name == platform:
            found.setdefault(instance.file_id, []).append(instance.values)
    return found


def remote_key(platform: str) -> str:
    return "photo_id" if platform == "flickr" else "status_id"


def assert_each_post_once(world: SandboxWorld) -> None:
    """Every IMatch record points at one live post, and every live post has one record."""
    for platform in PLATFORMS:
        posts = remote_posts(world, platform)
        key = remote_key(platform)
        # A record typed in by hand without its ids (empty, or a zero-width space) points
        # at no post: it is an error.
        by_file = {f: r for f, r in records(world, platform).items() if visible(r[0].get(key, ""))}
        assert all(len(r) == 1 for r in by_file.values()), f"{platform}: a file has 2 records"
        recorded = [r[0][key] for r in by_file.values()]
        assert len(recorded) == len(set(recorded)), f"{platform}: two files share a post"
        assert set(recorded) == set(posts), f"{platform}: posts and records differ"


def error_categories(world: SandboxWorld, platform: str) -> dict[str, set[int]]:
    prefix = f"Socials|{platform}|__errors|"
    return {
        c.path[len(prefix) :]: set(c.direct)
        for c in world.imatch.db.categories.values()
        if c.path.startswith(prefix) and c.direct
    }


def kill_after(world: SandboxWorld, changes: int, child: ChildProcess) -> None:
    """SIGKILL `child` right after the `changes`-th change on any simulator (before the
    answer is sent: the change happened, the child never hears of it)."""
    lock = threading.Lock()
    count = 0

    def on_mutation() -> None:
        nonlocal count
        with lock:
            count += 1
            if count == changes:
                os.kill(child.pid, signal.SIGKILL)

    for sim in simulators(world):
        sim.knobs.on_mutation = on_mutation


async def planned(session: SyncSession, platform: str) -> Plan:
    """The platform prepared in `session`: its plan, which must be there."""
    state = await session.prepare(platform)
    assert state.plan is not None, state.setup
    return state.plan


def remove_from_imatch(world: SandboxWorld, file_id: int) -> None:
    """The photographer deleted the file from the IMatch database (its categories and
    its records go with it)."""
    db = world.imatch.db
    with db.lock:
        for category in db.categories.values():
            category.direct.discard(file_id)
        for set_name in RECORD_IDS:
            for instance in db.instances_of(set_name, file_id):
                db.delete_instance(instance.instance_id)
        del db.files[file_id]
