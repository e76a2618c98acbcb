"""The connection screen: why the app cannot work yet and what to do about it.

Shown when IMatch cannot be reached or the configuration is unusable (retry with `r`),
and when a platform cannot log in (missing credentials, no or expired token): `l` runs
the login from here, `c` continues to the photos without that platform.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from sync.plain_words import plain
from sync.platforms import registry


@dataclass(frozen=True)
class Problem:
    """One thing that stops a part of the app."""

    where: str
    """`IMatch`, `configuration`, or a platform name."""
    message: str

    @property
    def is_platform(self) -> bool:
        return self.where not in ("IMatch", "configuration")


def what_to_do(problem: Problem, imatch_url: str) -> list[str]:
    text = problem.message.lower()
    if problem.where == "configuration":
        return [
            "Correct what the line above names: config.toml, or an IMATCH_SOCIALS_… "
            "environment variable.",
            "Then press r to try again.",
        ]
    if problem.where == "IMatch":
        where = imatch_url or "the configured address"
        return [
            "Start IMatch on this computer: its web services start with it.",
            f"To check the address, open {where} in a browser here while IMatch runs: if "
            "nothing answers, its web services use another port; set that address as "
            "[imatch] url in config.toml (imatch-socials doctor shows where it is).",
            "Then press r to try again.",
        ]
    if "could not reach" in text or "did not answer" in text or "connection" in text:
        return [
            f"{problem.where} could not be reached: check the internet connection (and "
            "the address, if you set one).",
            "Then press r to try again, or c to continue without it.",
        ]
    steps = registry.spec(problem.where).remedies(problem.message)
    return steps or [
        f"Set up {problem.where} as imatch-socials doctor describes, then press r to try again.",
    ]


class ConnectionScreen(Screen[str]):
    """Dismisses with `retry`, `continue`, `quit` or `login:<platform>`."""

    BINDING_GROUP_TITLE = "Connection"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "r", "choose('retry')", "Retry", tooltip="Connect and read IMatch again.", id="retry"
        ),
        Binding(
            "l",
            "login",
            "Log in",
            tooltip="Log in to the platform, or check its token.",
            id="connection-login",
        ),
        Binding(
            "c,escape",
            "choose('continue')",
            "Continue",
            tooltip="See the photos anyway; the platform stays unavailable.",
            id="continue",
        ),
        Binding(
            "q", "choose('quit')", "Quit", tooltip="Leave imatch-socials.", id="connection-quit"
        ),
    ]

    def __init__(self, problems: list[Problem], imatch_url: str) -> None:
        super().__init__()
        self.problems = problems
        self.imatch_url = imatch_url

    def compose(self) -> ComposeResult:
        yield Header()
        with Center(), Vertical(id="connection-box"):
            yield Static(self._title(), id="connection-title", markup=False)
            for problem in self.problems:
                yield Static(self._problem(problem), classes="connection-problem", markup=False)
        yield Footer()

    def _title(self) -> Text:
        if any(not p.is_platform for p in self.problems):
            return Text("imatch-socials cannot start", style="bold")
        names = " and ".join(p.where for p in self.problems)
        return Text(f"{names} cannot be used yet", style="bold")

    def _problem(self, problem: Problem) -> Text:
        heading = {
            "IMatch": "IMatch is not reachable",
            "configuration": "The configuration cannot be used",
        }.get(problem.where, f"{problem.where}: cannot log in")
        message = plain(problem.message)
        text = Text.assemble(("✗ " + heading, "bold red"), "\n", (message, "italic"), "\n")
        text.append("\nWhat to do\n", style="bold")
        for step in what_to_do(problem, self.imatch_url):
            text.append(f"  • {step}\n")
        return text

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        platform_only = all(p.is_platform for p in self.problems)
        if action == "login":
            return platform_only
        if action == "choose" and parameters == ("continue",):
            return platform_only
        return True

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def action_login(self) -> None:
        platform = next(p.where for p in self.problems if p.is_platform)
        self.dismiss(f"login:{platform}")
