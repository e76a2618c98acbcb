"""One item of the set-up as the doctor reports it, and the checks every platform reuses.

The doctor and each platform's own variable checks build `Check` values with these
helpers; secrets are reported only as set or unset.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from imatch.models import AppVariables
from sync.config import ENV_PREFIX

VARIABLES_MENU = "Edit > Preferences > Variables"


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


def ok(name: str, detail: str) -> Check:
    return Check(name, True, detail, False)


def problem(name: str, detail: str) -> Check:
    return Check(name, False, detail, True)


def warning(name: str, detail: str) -> Check:
    return Check(name, False, detail, False)


def env_name(variable: str) -> str:
    """The environment variable that overrides an app variable."""
    return f"{ENV_PREFIX}{variable.upper()}"


def secret_variable(
    variable: str,
    spellings: Sequence[str],
    variables: AppVariables,
    what: str,
    environ: Mapping[str, str] | None = None,
) -> Check:
    """A secret app variable: set (and where) or unset (and what it must hold)."""
    environ = os.environ if environ is None else environ
    name = f"variable {variable}"
    if environ.get(env_name(variable), "").strip():
        return ok(name, f"set (environment variable {env_name(variable)})")
    for spelling in spellings:
        if variables.has(spelling):
            return ok(name, "set" if spelling == variable else f"set (as {spelling})")
    return problem(
        name,
        f"unset: create the IMatch application variable {variable} ({VARIABLES_MENU}) "
        f"holding {what}",
    )
