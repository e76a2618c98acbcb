"""Fault soak: a full sync of N photos while every simulator misbehaves at random.

    python -m benchmarks.fault_soak [--photos 1000] [--rate 0.05] [--seed 1] [--no-parallel]

Faults, each at about `rate`: HTTP 500 before a request is handled (IMatch and every
platform), answers dropped after a change was made (every platform: the client sees a
cut connection), bursts of three 429s with Retry-After (every platform), IMatch
sessions expired after a change (the next call gets 401), and IMatch connections reset
while the request is being sent (httpx.WriteError).

The first round is two real `imatch-socials --headless` processes on one state folder at
once, as when the IMatch app's button is pressed while a scheduled run is going: one
runs (pixelfed), and while it does another process is started again and again; each of
those must exit 2 ("another run is in progress") without changing anything. Then runs in
this process are repeated, faults still on, until one ends with exit 0 (at most
`max_runs`; then one clean run). Afterwards every photo must be in its final state
exactly once on each platform: posted photos that were not flagged for deletion have one
post and one record, deleted ones none, updated ones carry their new title, and no flag
is left. Back-off waits of the in-process runs use a fake clock (which also moves
pixelfed's and Mastodon's rate-limit windows); the two processes wait for real.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import inspect
import json
import os
import random
import subprocess
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from imatch.client import IMatchClient
from sandbox.flickr_server import FlickrSimulator
from sandbox.library import generate_library
from sandbox.mastodon_server import MastodonSimulator
from sandbox.pixelfed_server import PixelfedSimulator
from sandbox.world import SandboxWorld, sandbox_world
from sync.retry import RetryPolicy
from sync.run_lock import RunLock
from sync.session import UNCONFIRMED
from tests.cli_process import ChildProcess, start_cli
from tests.sync_checks import (
    NO_RATE_LIMITS,
    PLATFORMS,
    platform_simulators,
    post_text,
    records,
    remote_key,
    remote_posts,
    simulators,
    sync_once,
)

Scope = MutableMapping[str, Any]
ASGI = Callable[[Scope, Any, Any], Awaitable[None]]
NEW_TITLE = "Retitled in the soak"
PARALLEL_PLATFORM = "pixelfed"
"""Synced by the round of two processes; the in-process runs then do the rest."""


class Bursts:
    """ASGI wrapper: now and then answer the next three requests with 429 + Retry-After."""

    def __init__(self, app: ASGI, rate: float, seed: int) -> None:
        self.app = app
        self.rate = rate
        self.random = random.Random(seed)
        self.left = 0
        self.injected = 0
        self.lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            with self.lock:
                if self.left == 0 and self.rate and self.random.random() < self.rate / 3:
                    self.left = 3
                limited = self.left > 0
                if limited:
                    self.left -= 1
                    self.injected += 1
            if limited:
                body = b'{"error":"Too Many Requests"}'
                headers = [
                    (b"content-type", b"application/json"),
                    (b"retry-after", b"2"),
                    (b"content-length", b"%d" % len(body)),
                ]
                await send({"type": "http.response.start", "status": 429, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


class ResettingTransport(httpx.AsyncBaseTransport):
    """IMatch's connection reset while a request is being sent, at about `rate`."""

    def __init__(self, rate: float, seed: int) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.rate = rate
        self.random = random.Random(seed)
        self.injected = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.rate and self.random.random() < self.rate:
            self.injected += 1
            raise httpx.WriteError("[Errno 104] Connection reset by peer")
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class ParallelRound:
    """The round of two processes at once."""

    exit_code: int = -1
    """Of the process that ran."""
    turned_away: int = 0
    """Processes started while it ran that exited 2 with "another run is in progress"."""
    misbehaved: list[str] = field(default_factory=list)
    """Processes that did anything else while the lock was held (must stay empty)."""


class FakeTime:
    """A clock and a sleep that only move when something waits; moves the clocks of the
    simulators that count time windows (pixelfed's and Mastodon's) too."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept = 0.0
        self.world: SandboxWorld | None = None

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds
        if self.world is not None:
            self.world.pixelfed.advance(seconds)
            self.world.mastodon.advance(seconds)
        await asyncio.sleep(0)


@dataclass
class SoakResult:
    photos: int
    rate: float
    runs: int
    seconds: float
    faults: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    wrong: list[str] = field(default_factory=list)
    """Photos not in their final state (empty when the soak passed)."""
    waited: float = 0.0
    """Seconds of back-off on the fake clock."""
    parallel: ParallelRound | None = None

    @property
    def injected(self) -> int:
        return sum(self.faults.values())


@contextmanager
def _with_bursts(rate: float, seed: int) -> Iterator[dict[str, Bursts]]:
    """Serve every platform behind `Bursts` (installed before the servers start)."""
    bursts: dict[str, Bursts] = {}
    originals: list[tuple[type, Any]] = []
    try:
        classes = (
            ("flickr", FlickrSimulator),
            ("pixelfed", PixelfedSimulator),
            ("mastodon", MastodonSimulator),
        )
        for name, cls in classes:
            # The property may be inherited (PixelfedSimulator's comes from the
            # Mastodon-API core); what the class itself held is put back afterwards.
            original = inspect.getattr_static(cls, "asgi_app")
            originals.append((cls, cls.__dict__.get("asgi_app")))

            def wrapped(sim: Any, name: str = name, original: Any = original) -> Bursts:
                if name not in bursts:
                    bursts[name] = Bursts(original.fget(sim), rate, seed + len(name))
                return bursts[name]

            setattr(cls, "asgi_app", property(wrapped))  # noqa: B010
        yield bursts
    finally:
        for cls, own in originals:
            if own is None:
                delattr(cls, "asgi_app")
            else:
                setattr(cls, "asgi_app", own)  # noqa: B010


def _flag(world: SandboxWorld, rng: random.Random) -> tuple[set[int], set[int]]:
    """Flag some posted photos: _delete, _update, _metadata (with a new title)."""
    posted = sorted(records(world, "flickr"))
    rng.shuffle(posted)
    share = max(1, len(posted) // 10)
    deleted, changed = set(posted[:share]), set(posted[share : 3 * share])
    db = world.imatch.db
    for platform in PLATFORMS:
        db.assign(f"Socials|{platform}|_delete", deleted)
        db.assign(f"Socials|{platform}|_update", posted[share : 2 * share])
        db.assign(f"Socials|{platform}|_metadata", posted[2 * share : 3 * share])
    for file_id in changed:
        db.files[file_id].tags["title"] = f"{NEW_TITLE} {file_id}"
    return deleted, changed


def check_final_state(
    world: SandboxWorld, deleted: set[int], changed: set[int]
) -> tuple[int, list[str]]:
    """Duplicates (extra posts or records) and photos not in their final state."""
    duplicates, wrong = 0, []
    for platform in PLATFORMS:
        key = remote_key(platform)
        have = records(world, platform)
        posts = remote_posts(world, platform)
        recorded = [r[key] for rs in have.values() for r in rs]
        extra_records = [f for f, rs in have.items() if len(rs) > 1]
        shared = len(recorded) - len(set(recorded))
        orphans = set(posts) - set(recorded)
        duplicates += sum(len(have[f]) - 1 for f in extra_records) + shared + len(orphans)
        wrong += [f"{platform}: DUPLICATE: {f} has {len(have[f])} records" for f in extra_records]
        wrong += [f"{platform}: DUPLICATE: {shared} posts recorded twice"] if shared else []
        wrong += [f"{platform}: DUPLICATE: post {p} has no record" for p in sorted(orphans)]
        wanted = set(world.imatch.db.direct_files(f"Socials|{platform}")) - deleted
        wrong += [f"{platform}: {f} not posted" for f in wanted - set(have)]
        wrong += [f"{platform}: {f} still posted" for f in set(have) & deleted]
        wrong += [f"{platform}: record {r} has no post" for r in set(recorded) - set(posts)]
        for flag in ("_update", "_metadata", "_delete"):
            left = world.imatch.db.direct_files(f"Socials|{platform}|{flag}")
            wrong += [f"{platform}: {f} still in {flag}" for f in left]
        for file_id in changed & set(have):
            post = posts.get(have[file_id][0][key])
            text = "" if post is None else post_text(platform, post)
            if not (text or "").startswith(f"{NEW_TITLE} {file_id}"):
                wrong += [f"{platform}: {file_id} kept its old title"]
    return duplicates, wrong


def headless_process(*args: str) -> ChildProcess:
    """`imatch-socials --headless --json *args` in a child process (forked from the
    tests' pre-imported server when it can be: see tests/cli_process.py)."""
    return start_cli(
        "--headless",
        "--json",
        *args,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def still_holding(lock: RunLock, pid: int) -> bool:
    """Whether process `pid` holds the run lock now (it removes its holder file as it
    releases the lock)."""
    holder = lock.holder()
    return holder is not None and holder.pid == pid


def two_processes_at_once(
    state: Path, platform: str = PARALLEL_PLATFORM, timeout: float = 1800.0
) -> ParallelRound:
    """One headless process runs (one platform); others are started while it does, as a
    scheduler or the IMatch app's button would; each must be turned away without touching
    anything."""
    result = ParallelRound()
    running = headless_process("--platform", platform)
    lock = RunLock(state)
    deadline = time.monotonic() + timeout
    while running.poll() is None and time.monotonic() < deadline:
        holder = lock.holder()
        if holder is None or holder.pid != running.pid:
            time.sleep(0.05)  # not holding the lock yet
            continue
        # The same platform: one that slips in just after the first has ended finds
        # nothing left to do, and flickr stays for the runs with the fake clock.
        other = headless_process("--platform", platform)
        stdout, _ = other.communicate(timeout=120)
        problem = ""
        with suppress(ValueError):
            problem = str(json.loads(stdout).get("problem", ""))
        if other.returncode == 2 and problem.startswith("another run is in progress"):
            result.turned_away += 1
        elif running.poll() is None and still_holding(lock, running.pid):
            # Not when the first has released the lock and is only exiting (a loaded
            # machine can take a moment there): the other then rightly ran after it.
            result.misbehaved.append(f"exit {other.returncode}: {problem or stdout[-200:]}")
    if running.poll() is None:
        running.kill()
    running.wait()
    result.exit_code = running.returncode
    return result


def soak(
    photos: int,
    rate: float,
    *,
    seed: int = 1,
    max_runs: int = 8,
    work: Path | None = None,
    parallel: bool = True,
    parallel_rate: float | None = None,
) -> SoakResult:
    """Run the soak; `work` holds the library and state (temporary if None); `parallel`:
    start with the round of two processes at once, with faults at `parallel_rate`
    (default `rate`; its processes back off for real, so a lower rate keeps it short)."""
    rng = random.Random(seed)
    with ExitStack() as stack:
        if work is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="soak-")))
        generate_library(work / "library", photos, cases=False, posted_share=0.3, seed=seed)
        bursts = stack.enter_context(_with_bursts(0.0, seed))  # none while seeding
        world = stack.enter_context(sandbox_world(work / "library"))
        for wrapper in bursts.values():
            wrapper.rate = rate
        world.configure_home(work / "home", NO_RATE_LIMITS)
        resets = ResettingTransport(rate / 2, seed)
        stack.enter_context(_environment(work / "home", resets))
        world.flickr.settings.rate_limit_per_hour = None  # 429s come from the bursts
        # pixelfed's daily caps (1,000 posts a day) are a quota, not a fault: 1,000 photos
        # would wait a simulated day for them. They have tests of their own.
        world.pixelfed.settings.daily_media_cap = None
        world.pixelfed.settings.daily_status_cap = None
        # A free flickr account holds 1,000 photos; the soak is about faults, not quotas.
        world.flickr.settings.free_account_photo_limit = 10 * photos
        deleted, changed = _flag(world, rng)
        expired = 0

        def maybe_expire() -> None:
            nonlocal expired
            if rate and rng.random() < rate / 2:
                world.imatch.expire_tokens()
                expired += 1

        for index, sim in enumerate(simulators(world)):
            sim.knobs.seed = seed + index
            sim.knobs.__post_init__()
            sim.knobs.fail_rate = rate
            sim.knobs.on_mutation = maybe_expire
            if sim is not world.imatch:
                sim.knobs.drop_rate = rate
        fake = FakeTime()
        fake.world = world
        retry = RetryPolicy(attempts=8, base_delay=1.0, sleep=fake.sleep, clock=fake.clock)
        started = time.perf_counter()
        runs = 0
        code, pending = -1, True
        round_of_two = None
        if parallel:
            # Real processes wait for real: 429 bursts (2 s each) only make this round long.
            for wrapper in bursts.values():
                wrapper.rate = 0.0
            _set_fault_rate(world, rate if parallel_rate is None else parallel_rate)
            round_of_two = two_processes_at_once(work / "home" / "state")
            _set_fault_rate(world, rate)
            for wrapper in bursts.values():
                wrapper.rate = rate
        while (code != 0 or pending) and runs <= max_runs:
            runs += 1
            if runs > max_runs:  # the faults win this time: one clean run finishes the work
                for sim in simulators(world):
                    sim.knobs.fail_rate = sim.knobs.drop_rate = 0.0
                for wrapper in bursts.values():
                    wrapper.rate = 0.0
                resets.rate = 0.0
            code, summary = sync_once(retry=retry)
            # Photos held back because an earlier upload may exist need another run.
            pending = any(
                UNCONFIRMED in errors
                for result in summary["platforms"].values()
                for _, errors in result.get("error_photos", [])
            )
        seconds = time.perf_counter() - started
        faults = {
            "5xx": sum(1 for s in simulators(world) for r in s.log.records if r.status == 500),
            "dropped answers": sum(
                1 for s in platform_simulators(world) for r in s.log.records if r.status is None
            ),
            "429": sum(b.injected for b in bursts.values()),
            "IMatch sessions expired": expired,
            "IMatch resets while sending": resets.injected,
        }
        duplicates, wrong = check_final_state(world, deleted, changed)
        if round_of_two is not None:
            wrong += [f"a second process misbehaved: {m}" for m in round_of_two.misbehaved]
        result = SoakResult(photos, rate, runs, seconds, faults, duplicates, wrong, fake.slept)
        result.parallel = round_of_two
        return result


def _set_fault_rate(world: SandboxWorld, rate: float) -> None:
    for sim in simulators(world):
        sim.knobs.fail_rate = rate
        if sim is not world.imatch:
            sim.knobs.drop_rate = rate


@contextmanager
def _environment(home: Path, transport: httpx.AsyncBaseTransport | None = None) -> Iterator[None]:
    """IMATCH_SOCIALS_HOME for the runs, and IMatch retries without real back-off (over
    `transport` when given, e.g. one that resets connections)."""
    import sync.session

    old_home = os.environ.get("IMATCH_SOCIALS_HOME")
    old_client = sync.session.IMatchClient
    os.environ["IMATCH_SOCIALS_HOME"] = str(home)
    sync.session.IMatchClient = functools.partial(  # type: ignore[misc,assignment]
        IMatchClient, retry_delay=0.0, transport=transport
    )
    try:
        yield
    finally:
        sync.session.IMatchClient = old_client  # type: ignore[misc]
        if old_home is None:
            os.environ.pop("IMATCH_SOCIALS_HOME", None)
        else:
            os.environ["IMATCH_SOCIALS_HOME"] = old_home


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--max-runs", type=int, default=8)
    parser.add_argument(
        "--no-parallel", action="store_true", help="skip the round of two processes at once"
    )
    args = parser.parse_args()
    result = soak(
        args.photos,
        args.rate,
        seed=args.seed,
        max_runs=args.max_runs,
        parallel=not args.no_parallel,
    )
    print(f"photos: {result.photos}")
    print(f"fault rate: {result.rate:.0%}")
    kinds = ", ".join(f"{kind} {count}" for kind, count in result.faults.items())
    print(f"faults injected: {result.injected} ({kinds})")
    if result.parallel is not None:
        print(
            f"two processes at once: the first ended with exit {result.parallel.exit_code}; "
            f"{result.parallel.turned_away} started meanwhile were turned away (exit 2), "
            f"{len(result.parallel.misbehaved)} did anything else"
        )
    print(f"runs needed after it: {result.runs}")
    print(f"seconds: {result.seconds:.1f} (back-off on the fake clock: {result.waited:.0f} s)")
    print(f"duplicates found: {result.duplicates}")
    print(f"photos not in their final state: {len(result.wrong)}")
    for line in result.wrong[:20]:
        print(f"  {line}")


if __name__ == "__main__":
    main()
