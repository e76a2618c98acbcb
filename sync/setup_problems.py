"""Set-up problems: what stops the app, or one platform, typed for both front ends.

A `SetupProblem` has a kind, the platform it concerns ("" for the app as a whole), the
message and the remedy. The session, the configuration and the connect code produce
them; the headless report prints the message and its remedy, the TUI's connection screen
shows them with the doctor's checks. `problem_of` turns the errors that setting up can
raise into one; any other exception is a bug, reported as `UNEXPECTED` with the log
file that holds its details (never a silent stop).
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from imatch.errors import IMatchError, IMatchUnavailable
from sync.checks import Check
from sync.config import URL_VARIABLE, ConfigError, Settings
from sync.plain_words import plain
from sync.platforms.base import AuthError, PlatformError, TransientError
from sync.platforms.registry import SetupError
from sync.run_lock import RunInProgress
from sync.state_db import StateDatabaseError

log = logging.getLogger(__name__)

DOCTOR = "`imatch-socials doctor` checks the whole set-up and names what to fix"
FOLDERS = "check that you can write there: `imatch-socials doctor` shows the folders"


class ProblemKind(StrEnum):
    CONFIGURATION = "configuration"
    IMATCH = "IMatch"
    STATE = "state"
    RUN_IN_PROGRESS = "run in progress"
    SETUP = "set-up"
    """A platform lacks something to set up: a credential, a login."""
    LOGIN = "login"
    """A platform refused the login or the token."""
    UNREACHABLE = "unreachable"
    """A platform could not be reached (network, its servers)."""
    UNEXPECTED = "unexpected"
    """A bug: the log file holds the details."""


APP_KINDS = frozenset(
    {
        ProblemKind.CONFIGURATION,
        ProblemKind.IMATCH,
        ProblemKind.STATE,
        ProblemKind.RUN_IN_PROGRESS,
        ProblemKind.UNEXPECTED,
    }
)
PREFIX = {
    ProblemKind.CONFIGURATION: "configuration: ",
    ProblemKind.IMATCH: "IMatch: ",
    ProblemKind.STATE: "state: ",
}

SETUP_ERRORS: tuple[type[BaseException], ...] = (
    ConfigError,
    IMatchError,
    RunInProgress,
    StateDatabaseError,
    sqlite3.Error,
    SetupError,
    PlatformError,
    OSError,
)
"""What setting up, reading IMatch and planning can raise for a reason the user can fix."""


@dataclass(frozen=True)
class SetupProblem:
    """One thing that stops the app or a platform, and what to do about it."""

    kind: ProblemKind
    message: str
    remedy: str = ""
    """One line; empty when the message already says what to do."""
    platform: str = ""
    """The platform it stops; "" when it stops the whole app."""
    checks: tuple[Check, ...] = ()
    """The doctor's checks of what it concerns (a platform's application variables)."""

    @property
    def where(self) -> str:
        """The platform's name, or `configuration`, `IMatch`... for the app as a whole."""
        return self.platform or self.kind.value

    @property
    def is_platform(self) -> bool:
        return bool(self.platform)

    @property
    def text(self) -> str:
        """The message as reports carry it (`IMatch: ...`, `configuration: ...`)."""
        return PREFIX.get(self.kind, "") + self.message

    def line(self) -> str:
        """The message and its remedy, on one line (a mistake is one line)."""
        if not self.remedy or self.remedy in self.message:
            return self.text
        return f"{self.text.rstrip('.')}: {self.remedy}"


def imatch_unreachable_remedy(url: str, setting: str) -> str:
    """What to do when nothing answers at IMatch's address (the doctor says the same)."""
    return (
        "start IMatch (its web services start with it). To check the address, open "
        f"{url}/ in a browser on this computer while IMatch runs: if nothing answers, "
        f"IMatch's web services use another port; set the address they use as {setting}"
    )


def imatch_url_setting(settings: Settings | None) -> str:
    """Where the IMatch address comes from: the environment variable or config.toml."""
    from sync import paths

    if os.environ.get(URL_VARIABLE, "").strip():
        return f"the environment variable {URL_VARIABLE} (it overrides config.toml)"
    source = (settings.source if settings is not None else None) or paths.config_file()
    return f"[imatch] url in {source}"


def problem_of(
    error: BaseException, platform: str = "", settings: Settings | None = None
) -> SetupProblem:
    """The problem an error stands for; an error no set-up explains is `UNEXPECTED`.
    `settings`: where the IMatch address came from, for the remedy (None: not read)."""
    text = str(error).strip() or type(error).__name__
    if isinstance(error, ConfigError):
        remedy = "" if error.says_fix else "correct the file or delete it"
        return SetupProblem(ProblemKind.CONFIGURATION, text, remedy)
    if isinstance(error, IMatchUnavailable):
        remedy = imatch_unreachable_remedy(error.url, imatch_url_setting(settings))
        return SetupProblem(ProblemKind.IMATCH, text, remedy)
    if isinstance(error, IMatchError):
        return SetupProblem(ProblemKind.IMATCH, text, DOCTOR)
    if isinstance(error, RunInProgress):
        return SetupProblem(ProblemKind.RUN_IN_PROGRESS, text, "wait for it to end")
    if isinstance(error, StateDatabaseError):  # its message says what to do
        return SetupProblem(ProblemKind.STATE, text)
    if isinstance(error, sqlite3.Error):
        return SetupProblem(
            ProblemKind.STATE, text, "`imatch-socials doctor` shows where the state folder is"
        )
    if platform and isinstance(error, SETUP_ERRORS):
        return platform_problem(platform, error)
    if isinstance(error, OSError):  # a file or folder of ours
        return SetupProblem(ProblemKind.STATE, _plain_file_error(error, text), FOLDERS)
    return unexpected(error)


def file_not_folder(place: object) -> str:
    """A file stands where a folder of ours must be: what to say."""
    return f"{place} is a file where imatch-socials needs a folder: move it away"


def _plain_file_error(error: OSError, text: str) -> str:
    """The place and what is wrong with it in words, not Python's `[Errno 17] …`."""
    if not error.filename:
        return text
    place = str(error.filename)
    if isinstance(error, (FileExistsError, NotADirectoryError)):
        return file_not_folder(place)
    if isinstance(error, PermissionError):
        return f"{place}: you may not write there"
    return f"{place}: {(error.strerror or text).lower()}"


def unexpected(error: BaseException) -> SetupProblem:
    """A bug: said in one line, with the log file that holds the traceback."""
    from sync import paths
    from sync.logs import LOG_FILE

    log.error("unexpected error", exc_info=error)
    where = paths.log_dir() / LOG_FILE
    name = type(error).__name__
    text = str(error).strip()
    return SetupProblem(
        ProblemKind.UNEXPECTED,
        f"{name}: {text}" if text else name,
        f"this is a bug in imatch-socials: the details are in {where}",
    )


def platform_problem(
    platform: str, error: BaseException, checks: Sequence[Check] = ()
) -> SetupProblem:
    """Why a platform cannot log in. `checks`: the doctor's checks of its variables; the
    first failing one names what to set (e.g. the application variable to create)."""
    from sync.platforms import registry

    # The HTTP libraries' own text (urllib3's, httpx's class names) goes to the log file.
    text = plain(str(error).strip() or type(error).__name__)
    failing = [c for c in checks if c.blocking and not c.ok]
    if failing:
        first = failing[0]
        remedy = f"{first.name}: {first.detail}" if _adds_to(text, first.detail) else ""
        return SetupProblem(ProblemKind.SETUP, text, remedy, platform, tuple(checks))
    if isinstance(error, TransientError):
        remedy = "check the internet connection (and the address, if you set one), then try again"
        return SetupProblem(ProblemKind.UNREACHABLE, text, remedy, platform, tuple(checks))
    if isinstance(error, AuthError):
        advice = registry.spec(platform).auth_advice(text)
        remedy = "" if advice == text else advice
        return SetupProblem(ProblemKind.LOGIN, text, remedy, platform, tuple(checks))
    if isinstance(error, SetupError):  # its message says what to set up
        return SetupProblem(ProblemKind.SETUP, text, "", platform, tuple(checks))
    return SetupProblem(ProblemKind.LOGIN, text, DOCTOR, platform, tuple(checks))


def _words(text: str) -> set[str]:
    return {word.strip(".,:;()'\"").lower() for word in text.split()} - {""}


def _adds_to(message: str, detail: str) -> bool:
    """Whether a doctor's check says more than the message it would follow: one that
    only says the problem again, in other words, is left out of the line."""
    said = _words(detail)
    return bool(said) and len(said - _words(message)) > len(said) // 4
