"""`imatch-socials --headless`: plan and sync without a terminal UI; never prompts.

Exit codes: 0 all went well, 1 some photos failed (or a platform stopped part-way),
2 nothing could run (configuration, IMatch connection, or every platform's login).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from imatch.client import IMatchClient
from imatch.errors import IMatchError
from sync.config import (
    APP_VARIABLE_NAMES,
    ConfigError,
    Credentials,
    Settings,
    credentials,
    load_settings,
)
from sync.connect import SetupError, open_platform
from sync.engine import Engine, RetryPolicy
from sync.journal import Journal
from sync.plan import read_plan
from sync.platforms.base import Limits, Platform, PlatformError
from sync.report import Reporter
from sync.rules import Action
from sync.secret_store import SecretStore

ONLY_CHOICES = {
    "add": {Action.ADD},
    "update": {Action.UPDATE},
    "metadata": {Action.METADATA},
    "delete": {Action.DELETE},
    "errors": set(),
}
_log = logging.getLogger(__name__)


@dataclass
class HeadlessOptions:
    platforms: Sequence[str] = ()
    dry_run: bool = False
    only: Sequence[str] = ()
    json: bool = False
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
    try:
        code = asyncio.run(_run(options, reporter))
    except ConfigError as error:
        reporter.say(f"configuration: {error}")
        code = 2
    except IMatchError as error:
        reporter.say(f"IMatch: {error}")
        code = 2
    reporter.finish(code)
    return code


async def _run(options: HeadlessOptions, reporter: Reporter) -> int:
    settings = load_settings()
    names = list(options.platforms) or list(settings.enabled_platforms)
    for name in names:
        settings.platform(name)  # unknown names fail here, before anything runs
    imatch = settings.imatch
    async with IMatchClient(
        imatch.url,
        user=imatch.user or None,
        timeout=imatch.timeout,
        chunk_size=imatch.chunk_size,
        max_in_flight=imatch.max_in_flight,
    ) as client:
        variables = await client.app_variables(APP_VARIABLE_NAMES)
        creds = credentials(variables, settings)
        journal = None if options.dry_run else Journal()
        try:
            outcomes = [
                await _one_platform(name, client, settings, creds, journal, options, reporter)
                for name in names
            ]
        finally:
            if journal is not None:
                journal.close()
    if outcomes and all(o == "not run" for o in outcomes):
        return 2
    return 1 if any(o == "failed" for o in outcomes) else 0


async def _one_platform(
    name: str,
    client: IMatchClient,
    settings: Settings,
    creds: Credentials,
    journal: Journal | None,
    options: HeadlessOptions,
    reporter: Reporter,
) -> str:
    platform: Platform[object] | None = None
    limits: Limits | None = None
    try:
        platform = open_platform(name, settings, creds, SecretStore())
        await platform.connect()
        limits = await platform.limits()
    except (SetupError, PlatformError) as error:
        if platform is not None:
            await platform.close()
        if not options.dry_run:
            reporter.problem(name, str(error))
            return "not run"
        reporter.say(f"{name}: not connected ({error}); planning with default limits")
        platform = None
    try:
        refused = journal.refused_adds(name) if journal else None
        plan = await read_plan(client, name, settings, creds, limits, refused)
        if not plan.publication.exists:
            reporter.problem(name, f"IMatch has no category {plan.publication.root}")
            return "not run"
        if options.dry_run or platform is None or journal is None:
            reporter.plan(plan, dry_run=True)
            return "ok"
        engine = Engine(
            client=client,
            journal=journal,
            platform=platform,
            plan=plan,
            settings=settings,
            limits=limits,
            emit=reporter,
            retry=options.retry,
        )
        await engine.reconcile()
        reporter.plan(plan, dry_run=False)
        actions: set[Action] | None = None
        if options.only:
            actions = set().union(*(ONLY_CHOICES[o] for o in options.only))
        summary = await engine.run(plan.select(actions=actions))
        reporter.summary(summary)
        return "failed" if summary.failed or summary.stopped else "ok"
    finally:
        if platform is not None:
            await platform.close()
