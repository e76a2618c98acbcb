"""Account-conditions soak: a full sync of N photos against what real flickr accounts do.

    python -m benchmarks.account_soak [--photos 300] [--seed 1]

Two scenarios, each on a fresh sandbox (DESIGN section 8) with the sync run as
`imatch-socials --headless` would run it (in this process), back-off and flickr's
clock on one fake clock:

- throttled: `--flickr-groups throttled --flickr-transient 0.05`. Half of the new photos
  are in a flickr group: one takes two photos a day from each member, the other is
  moderated; 5 % of flickr calls answer a transient failure (stat=fail 0/105/106/201 or an
  HTML 502/503/429 page). A first run, then a run a day later, which retries the pending
  group adds that are due.
- free: `--flickr-account free`. The account holds 48 private photos and the library
  publishes private photos: the 51st private photo's upload is refused and uploads stop
  for the run. Then a second run.

For each run it prints the exit code, what was added, failed and left pending, the
distinct failure reasons, and the duplicates found afterwards (a photo recorded twice, a
post with no record or with two): these must be 0.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sync.pending_groups
from benchmarks.fault_soak import _environment
from sandbox.library import generate_library
from sandbox.world import SandboxWorld, sandbox_world
from sync.engine import RetryPolicy
from sync.journal import Journal
from tests.sync_checks import NO_RATE_LIMITS, PLATFORMS, records, remote_posts, sync_once

DAY = 86400.0


class FakeTime:
    """Time that passes only when something waits, or when the soak moves it: back-off
    and rate-limit waits (`clock`, small numbers, so that the limiter's fractions of a
    second add up exactly), flickr's group windows and due group adds (`wall`)."""

    def __init__(self) -> None:
        self.elapsed = 1000.0
        self.start = time.time()

    def clock(self) -> float:
        return self.elapsed

    def wall(self) -> float:
        return self.start + self.elapsed

    async def sleep(self, seconds: float) -> None:
        self.elapsed += seconds
        await asyncio.sleep(0)


@dataclass
class RunFigures:
    exit_code: int
    added: int
    failed: int
    warnings: int
    pending_after: int
    due_retried: int
    reasons: list[str] = field(default_factory=list)
    """Distinct reasons of failed photos, as the report gives them."""
    lines: list[str] = field(default_factory=list)
    """The report's summary lines about pending group adds and account limits."""


@dataclass
class Scenario:
    name: str
    photos: int
    runs: list[RunFigures] = field(default_factory=list)
    duplicates: int = 0
    flickr_calls: int = 0
    transient_answers: int = 0
    seconds: float = 0.0


def duplicates(world: SandboxWorld) -> int:
    """Records of one file beyond the first, posts recorded twice, and our posts without
    a record (a flickr photo carrying our machine tag; a pixelfed status)."""
    found = 0
    for platform in PLATFORMS:
        key = "photo_id" if platform == "flickr" else "status_id"
        have = records(world, platform)
        found += sum(len(r) - 1 for r in have.values())
        recorded = [r[key] for rs in have.values() for r in rs]
        found += len(recorded) - len(set(recorded))
        posts = remote_posts(world, platform)
        if platform == "flickr":
            ours = {pid for pid, photo in posts.items() if photo.machine_tags}
        else:
            ours = set(posts)
        found += len(ours - set(recorded))
    return found


def pending_count(home: Path) -> int:
    journal = Journal(home / "state" / "journal.sqlite")
    try:
        return len(journal.store.pending_groups("flickr"))
    finally:
        journal.close()


def figures(code: int, summary: dict[str, Any], home: Path, due: int) -> RunFigures:
    flickr = summary["platforms"]["flickr"]
    reasons = sorted({reason for _, reason in flickr.get("failures", [])})
    lines = [
        w
        for w in flickr.get("warnings", [])
        if ":" not in w.split(" ", 1)[0] and any(k in w for k in ("pending", "done now", "queues"))
    ]
    if flickr.get("limited"):
        lines.append(f"limited: {flickr['limited']}")
    return RunFigures(
        exit_code=code,
        added=flickr.get("added", 0),
        failed=flickr.get("failed", 0),
        warnings=len(flickr.get("warnings", [])),
        pending_after=pending_count(home),
        due_retried=due,
        reasons=reasons,
        lines=lines,
    )


@contextmanager
def scenario_world(
    work: Path, photos: int, seed: int, fake: FakeTime, **conditions: Any
) -> Iterator[SandboxWorld]:
    generate_library(work / "library", photos, cases=False, grouped_share=0.5, seed=seed)
    with ExitStack() as stack:
        world = stack.enter_context(sandbox_world(work / "library", **conditions))
        world.configure_home(work / "home", NO_RATE_LIMITS)
        stack.enter_context(_environment(work / "home"))
        world.flickr.clock = fake.wall
        original = sync.pending_groups.wall_clock
        sync.pending_groups.wall_clock = fake.wall
        stack.callback(setattr, sync.pending_groups, "wall_clock", original)
        yield world


def run_scenario(name: str, photos: int, seed: int, work: Path, **conditions: Any) -> Scenario:
    fake = FakeTime()
    retry = RetryPolicy(attempts=8, base_delay=1.0, sleep=fake.sleep, clock=fake.clock)
    result = Scenario(name, photos)
    started = time.perf_counter()
    with scenario_world(work, photos, seed, fake, **conditions) as world:
        home = work / "home"
        code, summary = sync_once(retry=retry)
        result.runs.append(figures(code, summary, home, 0))
        fake.elapsed += DAY  # the groups' day is over
        due = pending_count(home)
        code, summary = sync_once(retry=retry)
        result.runs.append(figures(code, summary, home, due))
        result.duplicates = duplicates(world)
        result.flickr_calls = len(world.flickr.log)
        result.transient_answers = sum(world.flickr.transient_answered.values())
    result.seconds = time.perf_counter() - started
    return result


def soak(photos: int = 300, seed: int = 1, work: Path | None = None) -> list[Scenario]:
    with ExitStack() as stack:
        if work is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="acct-soak-")))
        return [
            run_scenario(
                "throttled groups, 5 % transient",
                photos,
                seed,
                work / "throttled",
                flickr_groups="throttled",
                flickr_transient=0.05,
            ),
            run_scenario("free account", photos, seed, work / "free", flickr_account="free"),
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for scenario in soak(args.photos, args.seed):
        print(f"== {scenario.name}: {scenario.photos} photos ({scenario.seconds:.1f} s)")
        for number, run in enumerate(scenario.runs, 1):
            print(
                f"  run {number}: exit {run.exit_code}, added {run.added}, failed {run.failed}, "
                f"group adds due at start {run.due_retried}, pending after {run.pending_after}"
            )
            for line in run.lines:
                print(f"    {line}")
            for reason in run.reasons:
                print(f"    failure reason: {reason}")
        print(
            f"  flickr calls: {scenario.flickr_calls}, "
            f"transient failures answered: {scenario.transient_answers}"
        )
        print(f"  duplicates found: {scenario.duplicates}")


if __name__ == "__main__":
    main()
