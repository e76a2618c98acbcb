"""The typed set-up problems: each error set-up can raise has its kind and remedy; the
summary words are the same in the headless report and the TUI."""

from __future__ import annotations

import io

import pytest

from imatch.errors import IMatchError, IMatchUnavailable
from sync.checks import VARIABLES_MENU, Check
from sync.config import ConfigError
from sync.events import RunSummary
from sync.platforms.base import AuthError, TransientError
from sync.platforms.registry import SetupError
from sync.report import Reporter
from sync.run_lock import RunInProgress
from sync.setup_problems import ProblemKind, platform_problem, problem_of
from sync.state_db import StateDatabaseError
from sync.summary_text import run_sentence
from tui.widgets.platform_view import summary_sentence


@pytest.mark.parametrize(
    ("error", "platform", "kind"),
    [
        (ConfigError("imatch.url: 'x' is not an address"), "", ProblemKind.CONFIGURATION),
        (IMatchUnavailable("http://127.0.0.1:9"), "", ProblemKind.IMATCH),
        (IMatchError("IMatch answered 500"), "", ProblemKind.IMATCH),
        (RunInProgress("another run is in progress"), "", ProblemKind.RUN_IN_PROGRESS),
        (StateDatabaseError("written by a newer version"), "", ProblemKind.STATE),
        (SetupError("not logged in"), "somewhere", ProblemKind.SETUP),
        (TransientError("timed out"), "somewhere", ProblemKind.UNREACHABLE),
        (KeyError("column"), "", ProblemKind.UNEXPECTED),
    ],
)
def test_each_error_has_its_kind(error: Exception, platform: str, kind: ProblemKind) -> None:
    problem = problem_of(error, platform)
    assert problem.kind is kind
    assert problem.platform == platform
    assert "\n" not in problem.line()
    assert str(error).strip("'") in problem.line()


def test_a_refused_login_gets_the_platforms_advice() -> None:
    from sync.platforms import registry

    name = registry.names()[0]
    problem = problem_of(AuthError("the token was refused"), name)
    assert problem.kind is ProblemKind.LOGIN
    assert problem.where == name


def test_a_bug_names_the_log_file() -> None:
    problem = problem_of(ZeroDivisionError("division by zero"))
    assert problem.kind is ProblemKind.UNEXPECTED
    assert "ZeroDivisionError: division by zero" in problem.message
    assert "imatch-socials.log" in problem.remedy


SUMMARIES = [
    RunSummary("p", added=2, unchanged=3),
    RunSummary("p", deleted=1, cleared=2, failed=1, errors=2),
    RunSummary("p", metadata=4, errors=1, categories_written=False, skipped=2, cancelled=True),
    RunSummary("p", adopted=1, completed=1, unrecorded=1, stopped="the account is gone"),
    RunSummary("p", added=1, reposted=1, limited="daily upload limit reached"),
    RunSummary("p"),
]


@pytest.mark.parametrize("summary", SUMMARIES)
def test_headless_and_the_tui_say_a_run_in_the_same_words(summary: RunSummary) -> None:
    out = io.StringIO()
    Reporter(out).summary(summary)
    first = out.getvalue().splitlines()[0]
    assert first == f"p: {summary_sentence(summary)}"
    assert summary_sentence(summary) == run_sentence(summary)


def test_a_folder_that_cannot_be_written_is_not_called_a_bug() -> None:
    problem = problem_of(PermissionError(13, "Permission denied", "/home/anna/state"))
    assert problem.kind is ProblemKind.STATE
    assert "/home/anna/state" in problem.line()
    assert "bug" not in problem.line()


@pytest.mark.parametrize(
    ("message", "detail"),
    [
        (
            "mastodon_visibility is 'everyone': use public, unlisted, private or direct",
            "mastodon_visibility is 'everyone': use public, unlisted, private or direct",
        ),
        (
            "pixelfed_visibility is 'friends': use public, unlisted or private "
            "(pixelfed has no direct posts)",
            "'friends' is not a pixelfed visibility: use public, unlisted, private "
            "(pixelfed has no direct posts)",
        ),
    ],
    ids=["the same words", "the same words in another order"],
)
def test_a_doctor_check_that_says_the_problem_again_is_not_its_remedy(
    message: str, detail: str
) -> None:
    """The headless line said the problem twice: "...: variable x: <the same again>"."""
    check = Check(message.split(" ")[0], False, detail, True)
    line = platform_problem("mastodon", SetupError(message), [check]).line()
    assert line.count("use public") == 1, line


def test_a_doctor_check_that_adds_what_to_do_is_the_remedy() -> None:
    check = Check(
        "variable mastodon_token",
        False,
        f"missing: create it in {VARIABLES_MENU} with your access token",
        True,
    )
    line = platform_problem("mastodon", SetupError("no Mastodon token"), [check]).line()
    assert line.endswith(
        f"variable mastodon_token: missing: create it in {VARIABLES_MENU} with your access token"
    )
