"""The connection screen: why the app cannot work yet and what to do about it.

Shown when IMatch cannot be reached or the configuration is unusable (retry with `r`),
and when a platform cannot log in (missing credentials, no or expired token): `l` runs
the login from here, `c` continues to the photos without that platform.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from sync.plain_words import plain
from sync.platforms import registry
from sync.session import ProblemKind, SetupProblem

HEADINGS = {
    ProblemKind.CONFIGURATION: "The configuration cannot be used",
    ProblemKind.IMATCH: "IMatch is not reachable",
    ProblemKind.STATE: "The state folder cannot be used",
    ProblemKind.RUN_IN_PROGRESS: "Another run is in progress",
    ProblemKind.UNEXPECTED: "Something went wrong (a bug in imatch-socials)",
}


def what_to_do(problem: SetupProblem, imatch_url: str) -> list[str]:
    """The problem's remedy as steps, and the keys of this screen that act on it."""
    kind = problem.kind
    if kind is ProblemKind.CONFIGURATION:
        return [
            "Correct what the line above names: config.toml, or an IMATCH_SOCIALS_… "
            "environment variable.",
            "Then press r to try again.",
        ]
    if kind is ProblemKind.IMATCH:
        where = imatch_url or "the configured address"
        return [
            "Start IMatch on this computer: its web services start with it.",
            f"To check the address, open {where} in a browser here while IMatch runs: if "
            "nothing answers, its web services use another port; set that address as "
            "[imatch] url in config.toml (imatch-socials doctor shows where it is).",
            "Then press r to try again.",
        ]
    steps = [_sentence(problem.remedy)] if problem.remedy else []
    if not problem.is_platform:
        return [*steps, "Then press r to try again, or q to quit."]
    if kind is ProblemKind.UNREACHABLE:
        return [*steps, "Then press r to try again, or c to continue without it."]
    login = registry.spec(problem.platform).login_help or "log in"
    return [
        *steps,
        f"Press l to {login}; r reads IMatch again once the variables are set; c "
        f"continues without {problem.platform}.",
    ]


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


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

    def __init__(self, problems: list[SetupProblem], imatch_url: str) -> None:
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

    def _problem(self, problem: SetupProblem) -> Text:
        heading = f"{problem.where}: cannot log in"
        if not problem.is_platform:
            heading = HEADINGS.get(problem.kind, heading)
        message = plain(problem.message)
        text = Text.assemble(("✗ " + heading, "bold red"), "\n", (message, "italic"), "\n")
        text.append("\nWhat to do\n", style="bold")
        for step in what_to_do(problem, self.imatch_url):
            text.append(f"  • {step}\n")
        if problem.checks:
            text.append("\nThe set-up, as imatch-socials doctor checks it\n", style="bold")
            for check in problem.checks:
                style = "green" if check.ok else ("bold red" if check.blocking else "yellow")
                text.append(f"  {check.label:<4} ", style=style)
                text.append(f"{check.name}: {plain(check.detail)}\n")
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
