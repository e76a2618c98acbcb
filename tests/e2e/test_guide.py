"""docs/GUIDE.md followed as a new user would: its commands, run against the sandbox.

The commands are read from the GUIDE (and the README) themselves, so documentation that
drifts from the program fails here: a command or flag the program refuses, a step whose
outcome is not the one the GUIDE promises, folders that are not where it says.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest

from sync.cli import parse_command_line
from sync.config import ENV_PREFIX
from tests.cli_process import REPOSITORY, ChildProcess, run_cli, start_cli

GUIDE = REPOSITORY / "docs" / "GUIDE.md"
README = REPOSITORY / "README.md"
PROGRAM = "imatch-socials"


def section(number: int, document: Path = GUIDE) -> str:
    """The text of the GUIDE's section `## <number>. …` up to the next `## `."""
    text = document.read_text(encoding="utf-8")
    found = re.search(rf"^## {number}\. .*?(?=^## |\Z)", text, flags=re.M | re.S)
    assert found, f"{document.name} has no section {number}"
    return found.group(0)


def code_blocks(text: str) -> list[list[str]]:
    """The commands of each fenced code block: a trailing `# comment` or description
    (after two spaces) removed, a continuation line (`   [--flag …]`) joined to its
    command."""
    blocks: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("```"):
            if current is not None:
                blocks.append(current)
            current = None if current is not None else []
            continue
        if current is None:
            continue
        command = re.split(r"\s{2,}", line.strip())[0].strip()
        if command.startswith("#"):
            continue
        if command.startswith("[") and line.startswith(" ") and current:
            current[-1] += " " + command
        elif command:
            current.append(command)
    return blocks


def variants(command: str) -> list[str]:
    """A synopsis line (`doctor [--platform P]`, `[--platform flickr|pixelfed]...`) as the
    commands it stands for: without its optional parts, and with each one (each
    alternative) in turn; a placeholder such as `P` or `DIR` given a plausible value."""
    optional = re.findall(r"\[([^\]]*)\](?:\.\.\.)?", command)
    base = re.sub(r"\s*\[[^\]]*\](?:\.\.\.)?", "", command)
    found = [base]
    for part in optional:
        flag, _, value = part.partition(" ")
        for choice in value.split("|") if value else [""]:
            found.append(f"{base} {flag} {choice}".strip())
    return [_filled(c) for c in found]


def _filled(command: str) -> str:
    words = command.split()
    for index, word in enumerate(words):
        if re.fullmatch(r"[A-Z]+", word):
            words[index] = "flickr" if words[index - 1] == "--platform" else "1"
    return " ".join(words)


def program_arguments(command: str) -> list[str] | None:
    """The arguments of an `imatch-socials …` command line (a full path to the program
    counts too), or None for any other line."""
    words = command.split()
    if not words or re.split(r"[\\/]", words[0])[-1] not in (PROGRAM, f"{PROGRAM}.exe"):
        return None
    return shlex.split(command)[1:] if "\\" not in command else words[1:]


def shown_commands(document: Path) -> list[str]:
    """Every `imatch-socials …` command the document shows, in code blocks and in
    backticks in the text."""
    text = document.read_text(encoding="utf-8")
    found = [line for block in code_blocks(text) for line in block]
    found += re.findall(rf"`({PROGRAM}(?: [^`]*)?)`", " ".join(text.split()))
    return [c for c in dict.fromkeys(found) if program_arguments(c) is not None]


@pytest.mark.parametrize("document", [GUIDE, README], ids=lambda p: p.name)
def test_every_command_the_documents_show_is_one_the_program_takes(document: Path) -> None:
    commands = shown_commands(document)
    assert len(commands) >= 10, commands  # the reading found the commands
    refused = []
    for command in (v for c in commands for v in variants(c)):
        said = io.StringIO()
        try:
            with contextlib.redirect_stderr(said):
                parse_command_line(program_arguments(command))
        except SystemExit as stop:
            # `imatch-socials login` in a sentence names the command; it is not a step.
            if stop.code not in (0, None) and "are required" not in said.getvalue():
                refused.append(f"{command}: {said.getvalue().strip()}")
    assert refused == [], f"{document.name} shows commands the program refuses: {refused}"


# --- section 1, step by step ------------------------------------------------------------------


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    env.update(extra)
    return env


@pytest.fixture
def in_a_fresh_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user's empty folder, where the GUIDE's relative paths (`sandbox-home`) land."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@contextlib.contextmanager
def started_sandbox(arguments: list[str]) -> Iterator[tuple[ChildProcess, dict[str, str]]]:
    """The sandbox the GUIDE starts in its first terminal, and the addresses it printed."""
    child = start_cli(*arguments, env=environment(), stdout=subprocess.PIPE, text=True)
    printed: dict[str, str] = {}
    try:
        assert child.stdout is not None
        for line in child.stdout:
            if line.startswith("Serving until interrupted"):
                break
            name, _, value = line.strip().partition(" ")
            printed[name] = value
        yield child, printed
    finally:
        if child.poll() is None:  # a failed step: stopped as Ctrl+C would, taking its library
            child.send_signal(signal.SIGINT)
            try:
                child.wait(30)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait(30)


def run(arguments: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    result = run_cli(*arguments, env=env, timeout=120)
    assert "Traceback" not in result.stdout + result.stderr
    return result


def test_section_1_try_it_first_in_the_sandbox(in_a_fresh_folder: Path) -> None:
    text = section(1)
    blocks = [b for b in code_blocks(text) if any(program_arguments(c) for c in b)]
    serve, second_terminal = blocks[0], blocks[1]
    assert len(serve) == 1
    arguments = program_arguments(serve[0])
    assert arguments is not None
    assert arguments[0] == "sandbox"
    home = arguments[arguments.index("--home") + 1]

    with started_sandbox(arguments) as (child, printed):
        assert printed["imatch"].startswith("http://127.0.0.1:")  # "It prints the addresses"
        library = Path(printed["library"])
        assert library.is_dir()
        assert (in_a_fresh_folder / home / "config" / "config.toml").is_file()
        user = environment(IMATCH_SOCIALS_HOME=home)  # `export IMATCH_SOCIALS_HOME=…`
        assert f"export IMATCH_SOCIALS_HOME={home}" in second_terminal

        steps = [program_arguments(c) for c in second_terminal if program_arguments(c) is not None]
        assert steps == [["doctor"], ["--headless", "--dry-run"], []], second_terminal
        doctor = run(["doctor"], user)
        assert doctor.returncode == 0, doctor.stdout
        verdicts = [m.group(1) for m in re.finditer(r"^([A-Z]+) {2,}\S", doctor.stdout, re.M)]
        assert len(verdicts) > 20, doctor.stdout
        assert set(verdicts) == {"OK"}, doctor.stdout
        assert "All checks passed" in doctor.stdout  # "every check OK"
        dry_run = run(["--headless", "--dry-run"], user)
        assert dry_run.returncode == 0, dry_run.stderr
        for platform in ("flickr", "pixelfed", "mastodon"):
            assert f"{platform} (dry run): " in dry_run.stdout
        # `imatch-socials`, the terminal app, is driven in tests/tui/; here it knows it has
        # no terminal and says so instead of starting.
        assert run([], user).returncode == 2

        _log_in_to_flickr(text, user)
        _try_change_detection(text, printed["imatch"], user)

        # "keeps serving until Ctrl+C": stopped so, it ends cleanly and takes its
        # generated library with it.
        child.send_signal(signal.SIGINT)
        assert child.wait(30) in (0, 130, -signal.SIGINT)
        assert not library.exists()


def _log_in_to_flickr(text: str, user: dict[str, str]) -> None:
    """GUIDE: "`imatch-socials login flickr` works there too: open the address it prints
    in a browser, approve, and type the code the sandbox page shows"."""
    flat = " ".join(text.split())
    shown = re.search(r"`(imatch-socials login flickr)` works there too", flat)
    assert shown, "section 1 no longer says how to log in to flickr in the sandbox"
    arguments = program_arguments(shown.group(1))
    assert arguments is not None
    child = start_cli(
        *arguments,
        env=user,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    address = ""
    while not address.startswith("http"):
        address = child.stdout.readline().strip()
        assert address or child.poll() is None, "no address was printed"
    page = httpx.get(address)  # the browser: the page, its form, the approve button
    form = dict(re.findall(r'name="(oauth_token|perms)" value="([^"]+)"', page.text))
    account = re.search(r'<select name="user_nsid"><option value="([^"]+)"', page.text)
    assert account, page.text
    form |= {"user_nsid": account.group(1), "decision": "approve"}
    answer = httpx.post(address.split("?", 1)[0], data=form)
    code = re.search(r'<code id="oauth-verifier">([0-9-]+)</code>', answer.text)
    assert code, answer.text
    out, err = child.communicate(code.group(1) + "\n", timeout=60)
    assert child.returncode == 0, err
    assert "flickr: logged in as" in out


def _try_change_detection(text: str, imatch: str, user: dict[str, str]) -> None:
    """GUIDE: "sync once, then change a photo as you would in IMatch: `python -m
    sandbox.edit_photo …` … The next dry run shows it as `changed`"."""
    flat = " ".join(text.split())
    shown = re.search(r"`python -m sandbox\.edit_photo ([^`]*)`", flat)
    assert shown, "section 1 no longer shows how to change a photo"
    assert run(["--headless", "--platform", "pixelfed"], user).returncode in (0, 1)
    plan = json.loads(
        run(["--headless", "--dry-run", "--json", "--platform", "pixelfed"], user).stdout
    )
    published = [p for p in plan["platforms"]["pixelfed"]["photos"] if p["action"] == "unchanged"]
    assert published, "the first sync published nothing"
    file_id = published[0]["id"]  # "the file ids are in the dry run's JSON"
    command = (
        shown.group(1)
        .replace("<file id>", str(file_id))
        .replace("<the imatch address the sandbox printed>", imatch)
    )
    assert "<" not in command, f"a placeholder the test does not know: {command}"
    edit = subprocess.run(
        [sys.executable, "-m", "sandbox.edit_photo", *shlex.split(command)],
        capture_output=True,
        text=True,
        env=user,
        timeout=60,
    )
    assert edit.returncode == 0, edit.stderr
    after = run(["--headless", "--dry-run", "--platform", "pixelfed"], user)
    changed = [line for line in after.stdout.splitlines() if line.lstrip().startswith("changed")]
    assert len(changed) == 1, after.stdout
    assert published[0]["name"] in changed[0]


# --- section 11: where the files are -------------------------------------------------------


def test_section_11_the_folders_are_where_the_guide_says(tmp_path: Path) -> None:
    """The Linux column of the GUIDE's table is what `doctor` prints on its first lines."""
    rows = {}
    for line in section(11).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[2].startswith("`~"):
            rows[cells[0].split(":")[0].strip("`")] = cells[2].strip("`")
    assert set(rows) == {"config.toml", "state", "log"}, rows
    user_home = tmp_path / "user"
    env = {k: v for k, v in environment().items() if not k.startswith("XDG_") and k != "HOME"}
    down = "http://127.0.0.1:9"  # IMatch not running: the folders are printed all the same
    result = run(["doctor"], {**env, "HOME": str(user_home), "IMATCH_SOCIALS_IMATCH_URL": down})
    first = result.stdout.splitlines()[:3]

    def shown(label: str) -> str:
        line = next(line for line in first if line.startswith(label))
        return line[len(label) :].split("  (")[0].strip()

    assert shown("config file") == rows["config.toml"].replace("~", str(user_home)) + "config.toml"
    assert shown("state folder") == rows["state"].replace("~", str(user_home)).rstrip("/")
    assert shown("log folder") == rows["log"].replace("~", str(user_home)).rstrip("/")
