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
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import TextIO

from imatch.client import IMatchClient
from imatch.errors import IMatchAuthError, IMatchError, IMatchRequestError, IMatchUnavailable
from imatch.models import AppVariables, Category
from sync import paths
from sync.config import (
    APP_VARIABLE_NAMES,
    ENV_PREFIX,
    PLATFORMS,
    URL_VARIABLE,
    ConfigError,
    Credentials,
    Settings,
    credentials,
    load_settings,
)
from sync.connect import SetupError, open_platform
from sync.logs import LOG_FILE
from sync.platforms.base import AuthError, PlatformError, TransientError
from sync.platforms.pixelfed.platform import VISIBILITIES, PixelfedConfigError, checked_base_url
from sync.rendering import first_line
from sync.secret_store import SecretStore

SCRIPT_PATH_VARIABLE = "imatch_to_socials_python_script_path"
EXECUTABLE_NAMES = ("imatch-socials.exe", "imatch-socials")
BLOCKING_EXIT = 2
CATEGORY_FIELDS = ("path", "name", "description", "children")

ATTRIBUTES: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "flickr": (("posted", "Date", False), ("photo_id", "Text", True), ("url", "Hyperlink", True)),
    "pixelfed": (
        ("posted", "Date", False),
        ("media_id", "Text", True),
        ("status_id", "Text", True),
        ("url", "Hyperlink", True),
    ),
}
_ALBUM_ID = re.compile(r"^\d+$")
_GROUP_ID = re.compile(r"^\d+@N\d+$")
_VARIABLES_MENU = "Edit > Preferences > Variables"


@dataclass(frozen=True)
class Check:
    """One item of the set-up: `ok`, or `detail` says what to create or fix."""

    name: str
    ok: bool
    detail: str
    blocking: bool
    """True when a failure stops a sync; a failure that does not is a warning."""

    @property
    def label(self) -> str:
        if self.ok:
            return "OK"
        return "FIX" if self.blocking else "WARN"


def _ok(name: str, detail: str) -> Check:
    return Check(name, True, detail, False)


def _problem(name: str, detail: str) -> Check:
    return Check(name, False, detail, True)


def _warning(name: str, detail: str) -> Check:
    return Check(name, False, detail, False)


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
    names = list(platforms) if platforms else list(settings.enabled_platforms)
    for name in names:
        if name not in PLATFORMS:
            checks.append(_problem(name, f"unknown platform: use {' or '.join(PLATFORMS)}"))
    names = [n for n in names if n in PLATFORMS]
    imatch = settings.imatch
    async with IMatchClient(
        imatch.url, user=imatch.user or None, timeout=min(imatch.timeout, 10.0), retries=1
    ) as client:
        reached = await _imatch(client, settings)
        checks.append(reached)
        if not reached.ok:
            return checks
        try:
            variables = await client.app_variables([*APP_VARIABLE_NAMES, SCRIPT_PATH_VARIABLE])
            creds = credentials(variables, settings)
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
        print(
            f"{blocking} problem{'s' if blocking != 1 else ''} (FIX) block a sync; fix "
            "them and run `imatch-socials doctor` again.",
            file=out,
        )
    elif warnings:
        print(f"Ready to sync, with {warnings} warning{'s' if warnings != 1 else ''}.", file=out)
    else:
        print("All checks passed: ready to sync.", file=out)


def print_folders(out: TextIO | None = None) -> None:
    """Where the configuration, the state (journal, logins) and the log file are."""
    out = out or sys.stdout
    rows = (
        ("config file", str(paths.config_file().absolute()), ""),
        ("state folder", str(paths.state_dir().absolute()), "  (journal, flickr login)"),
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


async def _imatch(client: IMatchClient, settings: Settings) -> Check:
    name = "IMatch"
    source = settings.source or paths.config_file()
    setting = f"[imatch] url in {source}"
    if os.environ.get(URL_VARIABLE, "").strip():
        setting = f"the environment variable {URL_VARIABLE} (it overrides config.toml)"
    try:
        await client.authenticate()
    except IMatchUnavailable:
        return _problem(
            name,
            f"IMatch is not running at {client.url}: start IMatch (its web services start "
            f"with it). To check the address, open {client.url}/ in a browser on this "
            "computer while IMatch runs: if nothing answers, IMatch's web services use "
            f"another port; set the address they use as {setting}",
        )
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
    if platform == "flickr":
        checks += await _flickr_sets(client, root, names.albums, "album")
        checks += await _flickr_sets(client, root, names.groups, "group")
    return checks


async def _flickr_sets(client: IMatchClient, root: str, child_name: str, kind: str) -> list[Check]:
    path = f"{root}|{child_name}"
    parent = await _category(client, path)
    if parent is None:
        return [
            _ok(
                path,
                f"absent (optional): create it, with one child per flickr {kind} whose "
                f"description holds the {kind} id, to add photos to {kind}s",
            )
        ]
    if not parent.children:
        return [_ok(path, f"exists, no {kind}s yet")]
    pattern, example = (
        (_ALBUM_ID, "72177720316352529") if kind == "album" else (_GROUP_ID, "12345678@N00")
    )
    where = (
        "the number in the album's address, e.g." if kind == "album" else "the group's NSID, e.g."
    )
    checks = []
    for child in parent.children:
        child_path = child.path or f"{path}|{child.name}"
        remote_id = first_line(child.description)
        if not remote_id:
            checks.append(
                _warning(
                    child_path,
                    f"no flickr {kind} id: put the {kind} id ({where} {example}) on the "
                    "first line of the category's description",
                )
            )
        elif not pattern.match(remote_id):
            checks.append(
                _warning(
                    child_path,
                    f"the description starts with {remote_id!r}, which is not a flickr "
                    f"{kind} id: put the {kind} id ({where} {example}) on its first line",
                )
            )
        else:
            checks.append(_ok(child_path, f"flickr {kind} {remote_id}"))
    return checks


# --- attribute set ------------------------------------------------------------------------


def _attribute_list(platform: str) -> str:
    return ", ".join(
        f"{name} ({kind}{', unique' if unique else ''})"
        for name, kind, unique in ATTRIBUTES[platform]
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
    missing = [(n, kind, u) for n, kind, u in ATTRIBUTES[platform] if n not in seen]
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


def _env_name(variable: str) -> str:
    return f"{ENV_PREFIX}{variable.upper()}"


def _secret(variable: str, spellings: Sequence[str], variables: AppVariables, what: str) -> Check:
    name = f"variable {variable}"
    if os.environ.get(_env_name(variable), "").strip():
        return _ok(name, f"set (environment variable {_env_name(variable)})")
    for spelling in spellings:
        if variables.has(spelling):
            return _ok(name, "set" if spelling == variable else f"set (as {spelling})")
    return _problem(
        name,
        f"unset: create the IMatch application variable {variable} ({_VARIABLES_MENU}) "
        f"holding {what}",
    )


def _variables(
    platform: str, variables: AppVariables, creds: Credentials, settings: Settings
) -> list[Check]:
    if platform == "flickr":
        checks = [
            _secret(
                "flickr_api_key",
                ("flickr_api_key", "flickr_apikey"),
                variables,
                "your flickr API key",
            ),
            _secret(
                "flickr_api_secret",
                ("flickr_api_secret", "flickr_apisecret"),
                variables,
                "your flickr API secret",
            ),
        ]
        flags = ("flickr_is_public", "flickr_is_friend", "flickr_is_family")
        odd = [
            f
            for f in flags
            if variables.has(f)
            and variables.text(f).lower()
            not in ("0", "1", "true", "false", "yes", "no", "on", "off")
        ]
        shown = ", ".join(f"{f} {1 if variables.flag(f) else 0}" for f in flags)
        audience = "public" if creds.flickr_is_public else "private"
        if odd:
            checks.append(
                _warning(
                    "variables flickr_is_*",
                    f"{', '.join(f'{f} is {variables.text(f)!r}' for f in odd)}: use 1 "
                    "(set) or 0 (unset); read as 0",
                )
            )
        else:
            checks.append(
                _ok("variables flickr_is_*", f"{shown} (new photos are {audience}; unset is 0)")
            )
        return checks
    return [
        _pixelfed_url(variables, creds, settings),
        _secret(
            "pixelfed_token",
            ("pixelfed_token",),
            variables,
            "a personal access token from your pixelfed instance (scopes read and write)",
        ),
        _pixelfed_visibility(variables, creds, settings),
    ]


def _pixelfed_url(variables: AppVariables, creds: Credentials, settings: Settings) -> Check:
    name = "variable pixelfed_url"
    if os.environ.get(_env_name("pixelfed_url"), "").strip():
        source = f" (environment variable {_env_name('pixelfed_url')})"
    elif settings.pixelfed.url:
        source = " (config.toml [pixelfed] url)"
    else:
        source = ""
    if not creds.pixelfed_url:
        return _problem(
            name,
            f"unset: create the IMatch application variable pixelfed_url ({_VARIABLES_MENU}) "
            "holding your instance's address, e.g. https://pixelfed.social",
        )
    try:
        checked_base_url(creds.pixelfed_url)
    except PixelfedConfigError as error:
        return _problem(name, str(error))
    return _ok(name, f"{creds.pixelfed_url}{source}")


def _pixelfed_visibility(variables: AppVariables, creds: Credentials, settings: Settings) -> Check:
    name = "variable pixelfed_visibility"
    if creds.pixelfed_visibility not in VISIBILITIES:
        return _problem(
            name,
            f"{creds.pixelfed_visibility!r} is not a pixelfed visibility: use "
            f"{', '.join(VISIBILITIES)} (pixelfed has no direct posts)",
        )
    if settings.pixelfed.visibility:
        return _ok(name, f"{creds.pixelfed_visibility} (config.toml [pixelfed] visibility)")
    if not variables.has("pixelfed_visibility"):
        return _ok(name, "unset: posts are public")
    return _ok(name, creds.pixelfed_visibility)


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
        return _problem(name, f"{platform} cannot be reached: {error}; try again later")
    except (PlatformError, ValueError) as error:
        return _problem(name, f"{platform} refused the login: {error}")
    finally:
        await adapter.close()
    if platform == "flickr":
        return _ok(name, f"logged in as {account.name} with delete permission")
    return _ok(name, f"the token works for {account.name} at {creds.pixelfed_url}")


def _auth_advice(platform: str, message: str) -> str:
    """The adapter's message, with the way out when it does not already say it."""
    if platform == "flickr":
        if "login flickr" in message:
            return message
        return (
            f"{message}: check flickr_api_key and flickr_api_secret, then run "
            "`imatch-socials login flickr`"
        )
    if "refused the token" in message:
        return (
            "pixelfed refused the token in pixelfed_token: create a new personal access "
            "token in pixelfed (Settings > Applications, scopes read and write), put it in "
            "the IMatch application variable pixelfed_token, then run "
            "`imatch-socials login pixelfed`"
        )
    return message
