"""The IMatch app in headless Chromium, served as IMatch would serve it, against the sandbox.

`sandbox.imatch_app_server` serves `imatch_app/` with stand-ins for IMatch's libraries
whose `IMatch.processRun` really runs imatch-socials; `sandbox.imatch_app_browser` drives
Chromium over the DevTools pipe. Buttons are clicked with real mouse events and every
wait polls the page with a deadline. Screenshots go to the test's tmp_path (printed).
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from sandbox.imatch_app_browser import Chromium, Page, find_chromium
from sandbox.imatch_app_server import (
    IMatchAppServer,
    finished,
    run_program_as_process,
    scripts_folder,
    serve_imatch_app,
    timed_out,
    windows_argv,
)
from sandbox.library import LibraryInfo
from sandbox.world import SandboxWorld, sandbox_world
from sync.journal import Journal
from sync.platforms import registry
from sync.platforms.flickr.platform import marker_tag
from sync.run_lock import RunLock
from tests.cli_process import start_cli
from tests.sync_checks import NO_RATE_LIMITS

PLATFORMS = ("flickr", "pixelfed", "mastodon")
SCRIPT_VARIABLE = "imatch_to_socials_python_script_path"
READY = "!document.getElementById('run-all').disabled"
FINISHED = "['ok', 'warning', 'error'].includes(document.getElementById('status').dataset.state)"
REPORTED = FINISHED + " && document.querySelector('#report [data-platform]')"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Chromium]:
    if find_chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs it with apt-get")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with Chromium(width=1100, height=900) as browser:
        yield browser


@pytest.fixture
def world(
    sample_library: LibraryInfo,
    tmp_path: Path,
    clean_environment: None,
) -> Iterator[SandboxWorld]:
    with sandbox_world(sample_library.path) as sandbox:
        sandbox.configure_home(tmp_path / "home", NO_RATE_LIMITS)
        sandbox.imatch.db.app_variables[SCRIPT_VARIABLE] = str(scripts_folder())
        yield sandbox


def run_forked(argv: list[str], env: Mapping[str, str], timeout: float) -> dict[str, Any]:
    """processRun of this venv's `imatch-socials` (the console script for `sync.cli`'s
    main) as a forked command (tests/cli_process.py), about 0.9 CPU s less per run; any
    other program, and the same script by another path (a test's symlinked folder with
    spaces), is started as a new process."""
    if argv[:1] != [str(scripts_folder() / "imatch-socials")]:
        return run_program_as_process(argv, env, timeout)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = start_cli(*argv[1:], env=env, stdout=out, stderr=err)
        try:
            code = child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
            code = None
        printed = []
        for file in (out, err):
            file.seek(0)
            printed.append(file.read())
    return timed_out(*printed) if code is None else finished(code, *printed)


@pytest.fixture
def app(world: SandboxWorld, tmp_path: Path) -> Iterator[tuple[str, IMatchAppServer]]:
    env = {"IMATCH_SOCIALS_HOME": str(tmp_path / "home")}
    with serve_imatch_app(world.imatch_url, env, run_program=run_forked) as served:
        yield served


def counts(page: Page, platform: str) -> dict[str, int]:
    """The count table of one platform's section, by `data-count` key."""
    value = page.evaluate(
        "Object.fromEntries([...document.querySelectorAll("
        f"'[data-platform={platform}] tr[data-count]')]"
        ".map(tr => [tr.dataset.count, Number(tr.querySelector('td').textContent)]))"
    )
    assert isinstance(value, dict)
    return {str(k): int(v) for k, v in value.items()}


def listed(page: Page, platform: str, section: str) -> dict[str, str]:
    """Photo name -> reason in one of a platform's lists (`failures`, `error-photos`)."""
    value = page.evaluate(
        "Object.fromEntries([...document.querySelectorAll("
        f"'[data-platform={platform}] .{section} li')]"
        ".map(li => [li.querySelector('.photo').textContent,"
        " li.querySelector('.reason').textContent.replace(/^: /, '')]))"
    )
    assert isinstance(value, dict)
    return {str(k): str(v) for k, v in value.items()}


def remote_posts(world: SandboxWorld) -> dict[str, int]:
    account = next(iter(world.pixelfed.state.accounts))
    mastodon_account = next(iter(world.mastodon.state.accounts))
    return {
        "flickr": len(world.flickr.state.photos),
        "pixelfed": len(world.pixelfed.statuses_of(account)),
        "mastodon": len(world.mastodon.statuses_of(mastodon_account)),
    }


def records(world: SandboxWorld) -> dict[str, int]:
    instances = list(world.imatch.db.instances.values())
    return {p: sum(1 for i in instances if i.set_name == p) for p in PLATFORMS}


def error_categories(world: SandboxWorld, platform: str) -> dict[str, list[str]]:
    """Photo name -> its `__errors|<name>` categories in IMatch."""
    db = world.imatch.db
    prefix = f"Socials|{platform}|__errors|"
    found: dict[str, list[str]] = {}
    for category in db.descendants(f"Socials|{platform}|__errors"):
        for file_id in category.direct:
            found.setdefault(db.files[file_id].name, []).append(category.path[len(prefix) :])
    return {name: sorted(errors) for name, errors in found.items()}


def shoot(page: Page, folder: Path, name: str) -> Path:
    path = page.screenshot(folder / name)
    print(f"screenshot: {path}")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000
    return path


def test_dry_run_then_sync_all_platforms(
    chromium: Chromium,
    world: SandboxWorld,
    app: tuple[str, IMatchAppServer],
    tmp_path: Path,
) -> None:
    url, server = app
    page = chromium.open(url)
    page.wait_for(READY)
    assert page.text("#command") == f"Runs {scripts_folder() / 'imatch-socials'}"

    posts, recorded = remote_posts(world), records(world)
    page.click("#run-dry")
    page.wait_for(REPORTED)
    assert server.runs[-1].argv[1:] == ["--headless", "--json", "--dry-run"]
    report: dict[str, Any] = json.loads(server.runs[-1].answer["output"])
    assert page.text("#status") == "Dry run of all platforms: finished, all went well."
    for platform in PLATFORMS:
        assert report["platforms"][platform]["status"] == "dry run"
        assert counts(page, platform) == report["platforms"][platform]["plan"]
        assert counts(page, platform)["add"] > 0
    assert (remote_posts(world), records(world)) == (posts, recorded)  # nothing changed
    shoot(page, tmp_path, "imatch-app-dry-run.png")

    page.click("#run-all")
    page.wait_for(REPORTED)
    assert server.runs[-1].argv[1:] == ["--headless", "--json"]
    assert server.runs[-1].answer["exitCode"] == 1  # the demo library has one refused upload
    assert page.text("#status") == (
        "Syncing all platforms: finished, but some photos failed (exit code 1). "
        "See the failures below."
    )
    after_posts, after_records = remote_posts(world), records(world)
    for platform in PLATFORMS:
        shown = counts(page, platform)
        change = shown["added"] - shown["deleted"]
        assert shown["added"] > 0
        assert shown["deleted"] > 0
        assert after_posts[platform] - posts[platform] == change
        assert after_records[platform] - recorded[platform] == change
        errors = listed(page, platform, "error-photos")
        assert len(errors) == shown["errors"]
        in_imatch = error_categories(world, platform)
        assert {name: sorted(r.split(", ")) for name, r in errors.items()} == in_imatch
        failures = listed(page, platform, "failures")
        assert len(failures) == shown["failed"] == 1
        assert failures["000057.jpg"].startswith("upload rejected: ")
    # The log of the run (standard error) is kept, and the report came from standard output.
    assert "flickr: added " in page.text("#stderr")
    assert json.loads(page.text("#stdout"))["exit_code"] == 1
    assert page.exceptions() == []
    shoot(page, tmp_path, "imatch-app-sync-all.png")


def test_one_button_per_platform_the_program_lists(
    chromium: Chromium, world: SandboxWorld, app: tuple[str, IMatchAppServer]
) -> None:
    """The app names no platform: its "<name> only" buttons come from `platforms --json`."""
    url, server = app
    page = chromium.open(url)
    page.wait_for(READY)
    assert server.runs[0].argv[1:] == ["platforms", "--json"]
    shown = page.evaluate(
        "Array.from(document.querySelectorAll('#toolbar button')).map(b => [b.id, b.textContent])"
    )
    expected = [[f"run-{name}", f"{name} only"] for name in registry.names()]
    assert shown == [
        ["run-all", "Sync all platforms"],
        *expected,
        ["run-dry", "Dry run (changes nothing)"],
    ]


def test_missing_script_path_is_explained(
    chromium: Chromium, world: SandboxWorld, app: tuple[str, IMatchAppServer]
) -> None:
    url, server = app
    del world.imatch.db.app_variables[SCRIPT_VARIABLE]
    page = chromium.open(url)
    page.wait_for(FINISHED)
    assert page.text("#status") == (
        "The IMatch application variable imatch_to_socials_python_script_path is not set. "
        "Create it (Edit > Preferences > Variables) holding the folder that contains "
        "imatch-socials.exe, for example C:\\Tools\\imatch-socials\\.venv\\Scripts, then "
        "reload this app."
    )
    assert page.evaluate("document.getElementById('run-all').disabled") is True
    assert server.runs == []
    # What the variable may hold, and the program the app then runs:
    cases = {
        "C:\\Tools\\imatch-socials\\.venv\\Scripts": (
            "C:\\Tools\\imatch-socials\\.venv\\Scripts\\imatch-socials.exe"
        ),
        "C:\\Tools\\venv\\Scripts\\": "C:\\Tools\\venv\\Scripts\\imatch-socials.exe",
        '"C:\\Program Files\\x\\imatch-socials.exe"': "C:\\Program Files\\x\\imatch-socials.exe",
        "/opt/venv/bin/": "/opt/venv/bin/imatch-socials",
    }
    for value, program in cases.items():
        assert page.evaluate(f"imatchSocialsApp.executablePath({json.dumps(value)})") == program


def write_program(folder: Path, script: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / "imatch-socials"
    program.write_text("#!/bin/sh\n" + script, encoding="utf-8")
    program.chmod(program.stat().st_mode | stat.S_IXUSR)


def test_failed_runs_keep_all_output(
    chromium: Chromium, world: SandboxWorld, app: tuple[str, IMatchAppServer], tmp_path: Path
) -> None:
    url, _ = app
    variables = world.imatch.db.app_variables
    bin_folder = tmp_path / "bin"
    write_program(
        bin_folder,
        'echo "partial report"\necho "Traceback: something broke" >&2\n'
        'case "$*" in *--dry-run*) exec sleep 30;; esac\nexit 3\n',
    )
    variables[SCRIPT_VARIABLE] = str(bin_folder)
    variables["imatch_to_socials_timeout"] = 1
    page = chromium.open(url)
    page.wait_for(READY)
    # This program lists no platforms either: only the buttons for all platforms remain.
    assert page.evaluate("document.querySelectorAll('#toolbar button').length") == 2

    page.click("#run-all")
    page.wait_for(FINISHED)
    assert page.text("#status") == (
        "imatch-socials stopped with exit code 3 and printed no report. "
        "Everything it printed is below."
    )
    assert page.text("#stdout") == "partial report"
    assert page.text("#stderr") == "Traceback: something broke"
    assert page.evaluate("document.getElementById('log').open") is True

    page.click("#run-dry")
    page.wait_for(FINISHED)
    assert page.text("#status") == (
        'imatch-socials did not finish: IMatch answered "timeout". If the run takes longer '
        "than 1 s, set the application variable imatch_to_socials_timeout to more seconds. "
        "Everything it printed is below."
    )
    assert page.text("#stdout") == "partial report"
    assert page.text("#stderr") == "Traceback: something broke"

    variables[SCRIPT_VARIABLE] = str(tmp_path / "nowhere")
    page = chromium.open(url)
    page.wait_for(READY)
    page.click("#run-all")  # a missing program lists no platforms either
    page.wait_for(FINISHED)
    program = tmp_path / "nowhere" / "imatch-socials"
    assert page.text("#status") == (f"IMatch could not run {program}: no such program: {program}")


def test_a_platform_that_cannot_run_is_reported(
    chromium: Chromium, world: SandboxWorld, app: tuple[str, IMatchAppServer]
) -> None:
    url, server = app
    world.imatch.db.app_variables["pixelfed_token"] = "no-such-token"
    page = chromium.open(url)
    page.wait_for(READY)
    page.click("#run-pixelfed")
    page.wait_for(REPORTED)
    assert server.runs[-1].argv[1:] == ["--headless", "--json", "--platform", "pixelfed"]
    assert page.text("#status").startswith(
        "Syncing pixelfed: nothing could run (configuration, IMatch connection, login or "
        "another run in progress) (exit code 2)."
    )
    problem = page.text("[data-platform=pixelfed] .problem")
    assert problem.startswith("Could not run: pixelfed refused the token")
    assert page.evaluate("document.querySelectorAll('[data-platform]').length") == 1


def test_a_program_folder_with_spaces_is_run_quoted(
    chromium: Chromium, world: SandboxWorld, app: tuple[str, IMatchAppServer], tmp_path: Path
) -> None:
    """IMatch reads `executable` as the start of a command line (the original tool passed
    "python.exe <script>" there), so a path with spaces must be quoted."""
    url, server = app
    folder = tmp_path / "My Tools" / "imatch socials"
    folder.mkdir(parents=True)
    (folder / "imatch-socials").symlink_to(scripts_folder() / "imatch-socials")
    world.imatch.db.app_variables[SCRIPT_VARIABLE] = str(folder)
    page = chromium.open(url)
    page.wait_for(READY)
    program = folder / "imatch-socials"
    assert page.text("#command") == f"Runs {program}"
    page.click("#run-dry")
    page.wait_for(REPORTED)
    assert page.text("#status") == "Dry run of all platforms: finished, all went well."
    assert server.runs[-1].executable == f'"{program}"'
    assert server.runs[-1].argv == [str(program), "--headless", "--json", "--dry-run"]
    assert page.text("#command") == f'"{program}" --headless --json --dry-run'
    windows = "C:\\Program Files\\imatch-socials\\Scripts\\imatch-socials.exe"
    assert page.evaluate(f"imatchSocialsApp.commandPath({json.dumps(windows)})") == f'"{windows}"'


def test_why_nothing_could_run_is_shown(
    chromium: Chromium, world: SandboxWorld, app: tuple[str, IMatchAppServer], tmp_path: Path
) -> None:
    url, server = app
    config = tmp_path / "home" / "config" / "config.toml"
    config.write_text('[imatch]\nurl = "http://127.0.0.1:9"\n', encoding="utf-8")
    page = chromium.open(url)
    page.wait_for(READY)
    page.click("#run-all")
    page.wait_for(FINISHED)
    assert server.runs[-1].answer["exitCode"] == 2
    assert page.text("#status").startswith(
        "Syncing all platforms: nothing could run (configuration, IMatch connection, login or "
        "another run in progress) (exit code 2)."
    )
    assert page.text("#report .problem") == (
        "Could not run: IMatch: IMatch is not running at http://127.0.0.1:9"
    )
    assert "No platform was run" not in page.text("#report")


@pytest.mark.parametrize(
    ("command_line", "argv"),
    [
        (
            '"C:\\My Tools\\imatch-socials.exe" --headless --json',
            ["C:\\My Tools\\imatch-socials.exe", "--headless", "--json"],
        ),
        # Unquoted, the program name ends at the first blank.
        (
            "C:\\My Tools\\imatch-socials.exe --json",
            ["C:\\My", "Tools\\imatch-socials.exe", "--json"],
        ),
        ('x a\\\\"b c" d', ["x", "a\\b c", "d"]),
        ('x a\\"b', ["x", 'a"b']),
        ('x "a""b"', ["x", 'a"b']),
        ("x C:\\dir\\ y", ["x", "C:\\dir\\", "y"]),
        ('"C:\\dir\\"x y', ["C:\\dir\\", "x", "y"]),
        ("  \t", []),
    ],
)
def test_process_run_reads_a_windows_command_line(command_line: str, argv: list[str]) -> None:
    assert windows_argv(command_line) == argv


def test_another_run_in_progress_is_shown(
    chromium: Chromium, world: SandboxWorld, app: tuple[str, IMatchAppServer], tmp_path: Path
) -> None:
    url, server = app
    lock = RunLock(tmp_path / "home" / "state")
    page = chromium.open(url)
    page.wait_for(READY)
    with lock.hold():  # e.g. the TUI is syncing, or a scheduled run
        page.click("#run-all")
        page.wait_for(FINISHED)
    assert server.runs[-1].answer["exitCode"] == 2
    problem = page.text("#run-problem")
    assert re.fullmatch(
        rf"Could not run: another run is in progress \(since \d\d:\d\d, pid {os.getpid()}\)",
        problem,
    ), problem
    assert "another run in progress" in page.text("#status")
    assert world.flickr.knobs.mutations == world.pixelfed.knobs.mutations == 0


def test_posts_recovered_from_an_interrupted_run_are_shown(
    chromium: Chromium, world: SandboxWorld, app: tuple[str, IMatchAppServer], tmp_path: Path
) -> None:
    url, _ = app
    db = world.imatch.db
    posted = {i.file_id for i in db.instances.values() if i.set_name == "flickr"}
    new = sorted(set(db.direct_files("Socials|flickr")) - posted)[0]
    # An interrupted run uploaded it (with its marker) and was killed before recording it.
    journal = Journal(tmp_path / "home" / "state" / "journal.sqlite")
    marker = journal.begin("flickr", new, "add")
    journal.close()
    [user] = world.flickr.state.users.values()
    photo = world.flickr.add_photo(user, title="interrupted", tags=marker_tag(marker))
    page = chromium.open(url)
    page.wait_for(READY)
    page.click("#run-flickr")
    page.wait_for(REPORTED)
    assert counts(page, "flickr")["adopted"] == 1
    [record] = db.instances_of("flickr", new)
    assert record.values["photo_id"] == photo.id
