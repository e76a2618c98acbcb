"""`imatch-socials --headless`: plan and sync without a terminal UI; never prompts.

Exit codes: 0 all went well, 1 some photos failed (or a platform stopped part-way),
2 nothing could run (configuration, IMatch connection, every platform's login, or
another run in progress: a real run holds the run lock from its first reconciliation to
its last write-back, so two runs never work on one state folder at once).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from sync.config import Settings, load_settings
from sync.plan import ScanProgress, collector_paused
from sync.report import Reporter
from sync.retry import RetryPolicy
from sync.rules import Action
from sync.session import PlatformState, SyncSession, imatch_location_warning
from sync.setup_problems import SETUP_ERRORS, ProblemKind, SetupProblem, problem_of

ONLY_CHOICES = {
    "add": {Action.ADD},
    "update": {Action.UPDATE},
    "metadata": {Action.METADATA},
    "delete": {Action.DELETE},
    "errors": set(),
    "changed": {Action.CHANGED},
}


@dataclass
class HeadlessOptions:
    platforms: Sequence[str] = ()
    dry_run: bool = False
    only: Sequence[str] = ()
    json: bool = False
    repost_changed_files: bool = False
    """Repost (delete, then add) photos whose file changed on platforms that cannot
    replace a published image: their likes and comments go. Never done otherwise."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)


def parse_only(value: str) -> list[str]:
    """`add,update` -> ["add", "update"]; raises ValueError naming a bad choice."""
    choices = [c.strip() for c in value.split(",") if c.strip()]
    for choice in choices:
        if choice not in ONLY_CHOICES:
            raise ValueError(f"--only: unknown {choice!r}; use {', '.join(ONLY_CHOICES)}")
    return choices


def run_headless(options: HeadlessOptions, reporter: Reporter | None = None) -> int:
    reporter = reporter or Reporter(json_mode=options.json)
    problem: SetupProblem | None = None
    settings: Settings | None = None  # for a problem's remedy (None when they are the problem)
    try:
        settings = load_settings()
        code = asyncio.run(_run(settings, options, reporter))
    except BrokenPipeError:  # the reader went away: the command line ends quietly
        raise
    except SETUP_ERRORS as error:
        problem = problem_of(error, settings=settings)
    if problem is not None:
        reporter.cannot_run(problem)
        code = 2
    reporter.finish(code)
    return code


async def _run(settings: Settings, options: HeadlessOptions, reporter: Reporter) -> int:
    names = list(options.platforms)
    for name in names:
        settings.platform(name)  # unknown names fail here, before anything runs
    warning = imatch_location_warning(settings.imatch.url)
    if warning:
        reporter.say(f"warning: {warning}")
    session = SyncSession(settings, dry_run=options.dry_run, retry=options.retry)
    if options.dry_run:
        async with session:
            return await _run_session(session, names, options, reporter)
    # Held from the first reconciliation to the last write-back (a dry run changes nothing).
    with session.run_lock.hold():
        async with session:
            return await _run_session(session, names, options, reporter)


async def _run_session(
    session: SyncSession, names: list[str], options: HeadlessOptions, reporter: Reporter
) -> int:
    # Planned one after the other (the session reads each file from IMatch once), then
    # run side by side: each platform keeps its own pace (its rate limit, its calls in
    # flight), so none waits for another. A plan is released once listed (dry run) or
    # once its run is summed up.
    prepared: dict[str, PlatformState | str] = {}

    def report(state: PlatformState) -> None:
        prepared[state.name] = _report_prepared(state, options, reporter)
        if options.dry_run:  # listed: its photos go before the next platform's are built
            session.release(state.name)

    def announce(name: str) -> ScanProgress:
        state = session.platforms.get(name)
        if state is not None and state.setup is not None and options.dry_run:
            reporter.say(f"{name}: not connected ({state.problem}); planning with default limits")
        return reporter.scan_progress(name)

    with collector_paused():
        await session.prepare_all(
            names or None,
            plan_unconnected=options.dry_run,
            progress=announce,
            prepared=report,
        )
    outcomes = await asyncio.gather(
        *(_run_platform(session, state, options, reporter) for state in prepared.values())
    )
    if outcomes and all(o == "not run" for o in outcomes):
        return 2
    # A platform that could not run is not "all went well" (a script must notice).
    return 1 if any(o in ("failed", "not run") for o in outcomes) else 0


def _report_prepared(
    state: PlatformState, options: HeadlessOptions, reporter: Reporter
) -> PlatformState | str:
    """The platform planned and reported, or the outcome ("not run") when it cannot run."""
    name = state.name
    if state.setup is not None and not options.dry_run:
        reporter.problem(state.setup)
        return "not run"
    plan = state.plan
    assert plan is not None
    if not plan.publication.exists:
        reporter.problem(
            SetupProblem(
                ProblemKind.IMATCH,
                f"IMatch has no category {plan.publication.root}",
                f"create it and assign the photos to publish on {name} to it",
                name,
            )
        )
        return "not run"
    for warning in state.warnings:
        reporter.say(f"{name}: warning: {warning}")
    for line in state.reconciliation.count_lines():  # the rest is in the run's summary
        reporter.say(f"{name}: {line}")
    reporter.plan(plan, dry_run=options.dry_run, limits=state.limits)
    if options.dry_run:
        # Said above as lines; the JSON document carries them too.
        reporter.results[name]["warnings"] = list(state.warnings)
    return state


async def _run_platform(
    session: SyncSession,
    state: PlatformState | str,
    options: HeadlessOptions,
    reporter: Reporter,
) -> str:
    if isinstance(state, str):
        return state
    if options.dry_run:
        return "ok"
    assert state.plan is not None
    plan = state.plan
    name = state.name
    actions: set[Action] | None = None
    if options.only:
        actions = set().union(*(ONLY_CHOICES[o] for o in options.only))
    summary = await session.run(
        name,
        plan.select(actions=actions),
        emit=reporter,
        repost=options.repost_changed_files,
    )
    reporter.summary(summary)
    session.release(name)
    unfinished = summary.failed or summary.stopped or summary.limited or summary.unrecorded
    return "failed" if unfinished else "ok"
