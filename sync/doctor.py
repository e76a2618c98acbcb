"""`imatch-socials doctor`: check the whole set-up and say exactly what to create or fix.

`diagnose()` returns one `Check` per item - the configuration, IMatch, each category of
`Socials|<platform>`, the attribute set named after the platform, the application
variables and each platform's login - and never changes anything anywhere. The TUI's
connection screen shows the same list. Secrets are reported only as set or unset.

A check that fails with `blocking=True` stops a sync (the command exits 2); a failed
check with `blocking=False` is a warning (exit 0).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path, PureWindowsPath
from typing import TextIO

from imatch.client import IMatchClient
from imatch.errors import IMatchAuthError, IMatchError, IMatchRequestError, IMatchUnavailable
from imatch.models import AppVariables, Category
from sync import paths
from sync.checks import Check
from sync.checks import ok as _ok
from sync.checks import problem as _problem
from sync.checks import warning as _warning
from sync.config import (
    ConfigError,
    Credentials,
    Settings,
    app_variable_names,
    credentials,
    load_settings,
)
from sync.connect import SetupError, open_platform
from sync.logs import LOG_FILE
from sync.plain_words import plain
from sync.platforms import registry
from sync.platforms.base import AuthError, PlatformError, TransientError
from sync.platforms.registry import DoctorContext
from sync.secret_store import SecretStore
from sync.setup_problems import imatch_unreachable_remedy, imatch_url_setting

SCRIPT_PATH_VARIABLE = "imatch_to_socials_python_script_path"
EXECUTABLE_NAMES = ("imatch-socials.exe", "imatch-socials")
BLOCKING_EXIT = 2
CATEGORY_FIELDS = ("path", "name", "description", "children")


async def diagnose(
    settings: Settings | None = None, platforms: Sequence[str] | None = None
) -> list[Check]:
    """Every check, in the order a new user would set things up. Changes nothing."""
    checks: list[Check] = []
    if settings is None:
        try:
            settings = load_settings()
        except ConfigError as error:
            advice = "" if error.says_fix else ": correct the file or delete it"
            return [_problem("configuration", f"{error}{advice}")]
    checks.append(_configuration(settings))
    checks.append(_state())
    known = registry.names()
    names = list(platforms) if platforms else list(settings.enabled_platforms)
    for name in names:
        if name not in known:
            checks.append(_problem(name, f"unknown platform: use {registry.listed(known)}"))
    names = [n for n in names if n in known]
    imatch = settings.imatch
    async with IMatchClient(
        imatch.url, user=imatch.user or None, timeout=min(imatch.timeout, 10.0), retries=1
    ) as client:
        reached = await _imatch(client, settings)
        checks.append(reached)
        if not reached.ok:
            return checks
        try:
            variables = await client.app_variables([*app_variable_names(), SCRIPT_PATH_VARIABLE])
            creds = credentials(variables, settings)
            if not platforms:
                # A platform that takes part only once set up is checked once it is.
                names = [n for n in names if _takes_part(n, creds)]
            for name in names:
                if not settings.platform(name).enabled:
                    checks.append(
                        _warning(name, f"disabled in config.toml ([{name}] enabled = false)")
                    )
                checks += await _categories(client, settings, name)
                checks.append(await _attribute_set(client, settings, name))
                variable_checks = _variables(name, variables, creds, settings)
                checks += variable_checks
                checks.append(await _login(name, settings, creds, variable_checks))
            checks.append(_script_path(variables))
        except IMatchError as error:
            checks.append(_problem("IMatch", f"IMatch failed while being checked: {error}"))
    return checks


def _takes_part(name: str, creds: Credentials) -> bool:
    spec = registry.spec(name)
    return spec.listed_without_credentials or spec.has_credentials(creds.of(name))


def exit_code(checks: Sequence[Check]) -> int:
    """0 when nothing blocks a sync (warnings allowed), 2 otherwise."""
    return BLOCKING_EXIT if any(c.blocking and not c.ok for c in checks) else 0


def print_checks(checks: Sequence[Check], out: TextIO | None = None) -> None:
    out = out or sys.stdout
    width = max((len(c.name) for c in checks), default=0)
    for check in checks:
        print(f"{check.label:<4}  {check.name:<{width}}  {check.detail}", file=out)
    blocking = sum(1 for c in checks if c.blocking and not c.ok)
    warnings = sum(1 for c in checks if not c.blocking and not c.ok)
    print(file=out)
    if blocking:
        said = f"{blocking} problems (FIX) block a sync; fix them"
        if blocking == 1:
            said = "1 problem (FIX) blocks a sync; fix it"
        print(f"{said} and run `imatch-socials doctor` again.", file=out)
    elif warnings:
        print(f"Ready to sync, with {warnings} warning{'s' if warnings != 1 else ''}.", file=out)
    else:
        print("All checks passed: ready to sync.", file=out)


def print_folders(out: TextIO | None = None) -> None:
    """Where the configuration, the state (journal, logins) and the log file are."""
    out = out or sys.stdout
    logins = [f"{spec.name} login" for spec in registry.specs() if spec.stores_login]
    rows = (
        ("config file", str(paths.config_file().absolute()), ""),
        (
            "state folder",
            str(paths.state_dir().absolute()),
            f"  ({', '.join(['journal', *logins])})",
        ),
        ("log folder", str(paths.log_dir().absolute()), f"  ({LOG_FILE})"),
    )
    for label, where, what in rows:
        print(f"{label:<12}  {where}{what}", file=out)
    print(file=out)


def run_doctor(platforms: Sequence[str] = ()) -> int:
    """Print the folders and every check; the exit code (0 fine or warnings only, 2 blocked)."""
    print_folders()
    checks = asyncio.run(diagnose(None, list(platforms) or None))
    print_checks(checks)
    return exit_code(checks)


# --- configuration and IMatch -------------------------------------------------------------


def _configuration(settings: Settings) -> Check:
    if settings.source is not None:
        return _ok("configuration", f"read {settings.source}")
    return _ok("configuration", f"no file at {paths.config_file()}: using the defaults")


def _state() -> Check:
    """The state folder and its database, read without changing them: a run that could
    not open them would stop before doing anything."""
    from sync.journal import JOURNAL_FILE
    from sync.setup_problems import file_not_folder, problem_of
    from sync.state_db import StateDatabaseError, open_state_db_copy

    name = "state"
    folder = paths.state_dir()
    if folder.exists() and not folder.is_dir():
        return _problem(name, file_not_folder(folder))
    try:
        copy = open_state_db_copy(folder / JOURNAL_FILE)
    except (StateDatabaseError, sqlite3.Error, OSError) as error:
        return _problem(name, problem_of(error).message)
    if copy is None:
        return _ok(name, f"no {JOURNAL_FILE} yet in {folder}: the first run creates it")
    copy.close()
    return _ok(name, f"{folder / JOURNAL_FILE} readable")


async def _imatch(client: IMatchClient, settings: Settings) -> Check:
    name = "IMatch"
    source = settings.source or paths.config_file()
    try:
        await client.authenticate()
    except IMatchUnavailable:
        remedy = imatch_unreachable_remedy(client.url, imatch_url_setting(settings))
        return _problem(name, f"IMatch is not running at {client.url}: {remedy}")
    except IMatchAuthError as error:
        return _problem(
            name,
            f"IMatch refused to log in user {client.user!r} ({error}): set [imatch] user "
            f"in {source} to your IMatch user name",
        )
    except IMatchError as error:
        return _problem(name, f"IMatch at {client.url} answered with an error: {error}")
    return _ok(name, f"IMatch answers at {client.url} (user {client.user})")


# --- categories ---------------------------------------------------------------------------


async def _category(client: IMatchClient, path: str) -> Category | None:
    return await client.category(path, CATEGORY_FIELDS)


async def _categories(client: IMatchClient, settings: Settings, platform: str) -> list[Check]:
    names = settings.categories
    root = f"{names.root}|{platform}"
    top = await _category(client, root)
    if top is None:
        return [
            _problem(
                root,
                f"missing: create the category {root} in IMatch and assign the versions "
                f"to publish on {platform} to it",
            )
        ]
    checks = [_ok(root, "exists")]
    purposes = {
        names.update: "photos to upload again (image and metadata)",
        names.metadata: "photos whose metadata only is sent again",
        names.delete: f"photos to delete from {platform}",
        names.errors: "filled by imatch-socials: one child per error name",
    }
    for child_name, purpose in purposes.items():
        path = f"{root}|{child_name}"
        if top.child(child_name) is not None:
            checks.append(_ok(path, "exists"))
        else:
            checks.append(_warning(path, f"missing: create the category {path} ({purpose})"))
    extra = registry.spec(platform).category_checks
    if extra is not None:
        checks += await extra(client, root, settings)
    return checks


# --- attribute set ------------------------------------------------------------------------


def _attribute_list(platform: str) -> str:
    return ", ".join(
        f"{f.name} ({f.imatch_type}{', unique' if f.unique else ''})"
        for f in registry.spec(platform).attribute_fields
    )


async def _attribute_set(client: IMatchClient, settings: Settings, platform: str) -> Check:
    name = f"attribute set {platform}"
    root = f"{settings.categories.root}|{platform}"
    top = await client.category(root, ("path", "files"))
    ids = list(top.files[: settings.imatch.chunk_size]) if top else []
    if not ids:
        return _warning(
            name,
            f"not checked: {root} holds no photo yet. It must exist with the attributes "
            f"{_attribute_list(platform)}",
        )
    try:
        body = await client.call(
            "GET", "/v1/attributes", {"set": platform, "id": ",".join(map(str, ids))}
        )
    except IMatchRequestError as error:
        if error.status in (400, 404):
            return _problem(
                name,
                f"IMatch cannot read the attribute set {platform} ({error.detail or error}): "
                f"create the attribute set {platform} with the attributes "
                f"{_attribute_list(platform)}",
            )
        raise
    entries = body.get("result") if isinstance(body, dict) else None
    records = [
        record
        for entry in (entries if isinstance(entries, list) else [])
        if isinstance(entry, dict)
        for record in (entry.get("data") or [])
        if isinstance(record, dict)
    ]
    if not records:
        return _ok(name, "readable; no photo has a record yet (none is posted)")
    seen = {key for record in records for key in record}
    missing = [
        (f.name, f.imatch_type, f.unique)
        for f in registry.spec(platform).attribute_fields
        if f.name not in seen
    ]
    if missing:
        listed = ", ".join(f"{n} ({kind}{', unique' if u else ''})" for n, kind, u in missing)
        return _problem(
            name,
            f"no record holds {', '.join(n for n, _, _ in missing)}: add the missing "
            f"attribute{'s' if len(missing) > 1 else ''} {listed} to the attribute set "
            f"{platform}",
        )
    return _ok(name, f"readable; {len(records)} records among the photos in {root}")


# --- application variables ----------------------------------------------------------------


def _variables(
    platform: str, variables: AppVariables, creds: Credentials, settings: Settings
) -> list[Check]:
    context = DoctorContext(variables, creds.of(platform), settings.platform(platform), os.environ)
    return registry.spec(platform).variable_checks(context)


def _script_path(variables: AppVariables) -> Check:
    name = f"variable {SCRIPT_PATH_VARIABLE}"
    folder = variables.text(SCRIPT_PATH_VARIABLE)
    if not folder:
        return _warning(
            name,
            "unset (only the IMatch app needs it): set it to the folder holding "
            "imatch-socials.exe, e.g. C:\\Tools\\imatch-socials\\.venv\\Scripts",
        )
    base = Path(folder)
    if base.name.lower() in EXECUTABLE_NAMES and base.is_file():
        return _ok(name, f"{folder} (the IMatch app runs it)")
    candidates = [base / n for n in EXECUTABLE_NAMES]
    if os.name != "nt" and PureWindowsPath(folder).drive:
        # A Windows path read on another system cannot be checked here.
        return _ok(name, f"{folder} (not checked on this system)")
    found = next((c for c in candidates if c.is_file()), None)
    if found is None:
        return _warning(
            name,
            f"{folder} holds no imatch-socials.exe: the IMatch app cannot start the sync. "
            "Set it to the folder holding imatch-socials.exe (a virtual environment's "
            "Scripts folder)",
        )
    return _ok(name, f"{folder} (the IMatch app runs {found.name})")


# --- logins -------------------------------------------------------------------------------


async def _login(
    platform: str, settings: Settings, creds: Credentials, variable_checks: Sequence[Check]
) -> Check:
    name = f"{platform} login"
    unset = [c.name.removeprefix("variable ") for c in variable_checks if c.blocking and not c.ok]
    if unset:
        return _problem(name, f"not tried: fix {', '.join(unset)} first")
    store = SecretStore()
    try:
        adapter = open_platform(platform, settings, creds, store)
    except SetupError as error:
        return _problem(name, str(error))
    try:
        account = await adapter.connect()
    except AuthError as error:
        return _problem(name, _auth_advice(platform, str(error)))
    except TransientError as error:
        return _problem(name, f"{platform} cannot be reached: {plain(str(error))}; try again later")
    except (PlatformError, ValueError) as error:
        return _problem(name, f"{platform} refused the login: {plain(str(error))}")
    finally:
        await adapter.close()
    return _ok(name, registry.spec(platform).login_ok_text(account, creds.of(platform)))


def _auth_advice(platform: str, message: str) -> str:
    """The adapter's message, with the way out when it does not already say it."""
    return registry.spec(platform).auth_advice(message)
