"""Mistakes a new user makes on the command line: each gets one clear line, never a traceback.

Every test runs the real command in a subprocess (as a user or the IMatch app would) with
its own throw-away home, and checks the exit code, the one line that names the setting
or flag, and that no Python traceback reached the screen.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from sandbox.library import LibraryInfo
from sandbox.world import sandbox_world
from sync.config import ENV_PREFIX
from tests.cli_process import run_cli
from tests.sync_checks import NO_RATE_LIMITS, PLATFORMS

CLI = [sys.executable, "-m", "sync.cli"]


_HELD_PORTS: list[socket.socket] = []


def closed_port_url() -> str:
    """An address on this computer where nothing listens (IMatch is not running). Its
    port stays bound, never listening, for the rest of the tests: a port let go at once
    could be taken by another test's server before the program tried it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    _HELD_PORTS.append(sock)
    return f"http://127.0.0.1:{sock.getsockname()[1]}"


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    env["IMATCH_SOCIALS_HOME"] = str(home)
    env.update(extra)
    return env


def run(
    *args: str, env: Mapping[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """The command in a child process (forked with its modules loaded: tests/cli_process.py)."""
    return run_cli(*args, env=env, timeout=timeout)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The only line the command printed, checked to be the only one."""
    printed = result.stderr + result.stdout
    assert "Traceback" not in printed
    lines = [line for line in printed.splitlines() if line.strip()]
    assert len(lines) == 1, printed
    return lines[0]


def write_config(home: Path, text: str) -> Path:
    path = home / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- the IMatch address -------------------------------------------------------------------


@pytest.mark.parametrize("command", [("--headless",), ("doctor",), ("--headless", "--json")])
@pytest.mark.parametrize("value", ["localhost:50519", "not a url", "ftp://127.0.0.1:50519"])
def test_a_bad_imatch_url_in_the_environment_is_named_with_an_example(
    tmp_path: Path, command: tuple[str, ...], value: str
) -> None:
    result = run(*command, env=environment(tmp_path, IMATCH_SOCIALS_IMATCH_URL=value))
    assert result.returncode == 2
    if "--json" in command:
        assert "Traceback" not in result.stderr
        document = json.loads(result.stdout)
        assert "IMATCH_SOCIALS_IMATCH_URL" in document["problem"]
        return
    line = one_line(result) if command != ("doctor",) else _doctor_line(result)
    assert "IMATCH_SOCIALS_IMATCH_URL" in line
    assert repr(value) in line
    assert "http://127.0.0.1:50519" in line


def _doctor_line(result: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in result.stderr + result.stdout
    found = [line for line in result.stdout.splitlines() if line.startswith("FIX")]
    assert len(found) == 1, result.stdout
    assert "1 problem (FIX) blocks a sync; fix it and run" in result.stdout
    return found[0]


def test_a_bad_imatch_url_in_the_config_file_names_the_key_and_the_file(tmp_path: Path) -> None:
    path = write_config(tmp_path, '[imatch]\nurl = "not a url"\n')
    result = run("--headless", env=environment(tmp_path))
    assert result.returncode == 2
    line = one_line(result)
    assert "imatch.url" in line
    assert str(path) in line
    assert "http://127.0.0.1:50519" in line


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize("value", ["localhost:8080", "not a url"])
def test_a_platform_address_without_a_scheme_names_the_setting(
    sample_library: LibraryInfo, tmp_path: Path, platform: str, value: str
) -> None:
    """`[<platform>] url` given as a bare host: the key named with a valid form, never a
    traceback or an "unreadable answer" from the client library."""
    with sandbox_world(sample_library.path) as world:
        home = tmp_path / "home"
        world.configure_home(home, {platform: {"url": value}})
        env = environment(home)
        result = run("--headless", "--platform", platform, env=env)
        assert result.returncode == 2
        line = one_line(result)
        assert f"[{platform}] url" in line
        assert repr(value) in line
        assert "://" in line.split(repr(value))[-1] + line.split(repr(value))[0]
        doctor = run("doctor", "--platform", platform, env=env)
        assert "Traceback" not in doctor.stdout + doctor.stderr
        fixes = [line for line in doctor.stdout.splitlines() if line.startswith("FIX")]
        assert f"[{platform}] url" in fixes[0], doctor.stdout
        assert "unreadable answer" not in doctor.stdout


# --- the configuration file -----------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "cp1252", "utf-8-sig+utf-16"]
)
def test_a_config_file_in_another_encoding_is_named_not_a_traceback(
    tmp_path: Path, encoding: str
) -> None:
    """Notepad's "Unicode" (UTF-16 with a byte-order mark), the same without one, and
    ANSI with an accented comment: the file and the rule named, never a traceback."""
    path = write_config(tmp_path, "")
    text = '[imatch]\nurl = "http://127.0.0.1:1"  # café\n'
    if encoding == "utf-8-sig+utf-16":
        data = b"\xef\xbb\xbf" + text.encode("utf-16-le")
    else:
        data = text.encode(encoding)
    path.write_bytes(data)
    for command in (("--headless",), ("doctor",), ("--headless", "--json")):
        result = run(*command, env=environment(tmp_path))
        assert result.returncode == 2
        if "--json" in command:
            document = json.loads(result.stdout)
            assert "config.toml must be UTF-8" in document["problem"]
            assert document["problem_kind"] == "configuration"
            continue
        line = one_line(result) if command != ("doctor",) else _doctor_line(result)
        assert "config.toml must be UTF-8" in line
        assert str(path) in line


def test_a_config_file_with_a_utf8_byte_order_mark_is_read(tmp_path: Path) -> None:
    down = closed_port_url()
    path = write_config(tmp_path, "")
    path.write_bytes(f'[imatch]\nurl = "{down}"\n'.encode("utf-8-sig"))
    result = run("--headless", env=environment(tmp_path))
    assert result.returncode == 2
    line = one_line(result)
    assert f"IMatch is not running at {down}" in line  # the file's address was used


@pytest.mark.parametrize("kind", ["missing file", "folder"])
def test_imatch_socials_config_naming_no_file_is_an_error(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "nowhere" / "config.toml"
    if kind == "folder":
        target = tmp_path / "a-folder"
        target.mkdir()
    env = environment(tmp_path, IMATCH_SOCIALS_CONFIG=str(target))
    for command in (("--headless",), ("doctor",)):
        result = run(*command, env=env)
        assert result.returncode == 2
        line = one_line(result) if command != ("doctor",) else _doctor_line(result)
        assert "IMATCH_SOCIALS_CONFIG" in line
        assert str(target) in line
        assert ("is a folder" if kind == "folder" else "does not exist") in line


# --- IMatch down: the JSON report says why ---------------------------------------------------


def test_json_with_imatch_down_carries_the_reason(tmp_path: Path) -> None:
    down = closed_port_url()
    result = run("--headless", "--json", env=environment(tmp_path, IMATCH_SOCIALS_IMATCH_URL=down))
    assert result.returncode == 2
    document = json.loads(result.stdout)
    assert document["exit_code"] == 2
    assert document["platforms"] == {}
    assert f"IMatch is not running at {down}" in document["problem"]


@pytest.mark.parametrize(
    ("mistake", "kind", "said"),
    [
        ("config not TOML", "configuration", "not valid TOML"),
        ("config names a folder", "configuration", "IMATCH_SOCIALS_CONFIG"),
        ("IMatch down", "IMatch", "IMatch is not running"),
        ("bad IMatch address", "configuration", "IMATCH_SOCIALS_IMATCH_URL"),
        ("state folder is a file", "state", "is a file"),
        ("state database from a newer version", "state", "newer imatch-socials"),
        ("state database damaged", "state", "not an imatch-socials state database"),
    ],
)
def test_json_carries_the_reason_for_every_kind_of_set_up_failure(
    tmp_path: Path, mistake: str, kind: str, said: str, request: pytest.FixtureRequest
) -> None:
    """The IMatch app shows only the JSON: why nothing ran is in it, with its kind."""
    imatch = request.getfixturevalue("imatch_url") if mistake != "IMatch down" else ""
    imatch = imatch or closed_port_url()
    env = environment(tmp_path, IMATCH_SOCIALS_IMATCH_URL=imatch)
    if mistake == "config not TOML":
        write_config(tmp_path, "[imatch\nurl =")
    elif mistake == "config names a folder":
        env["IMATCH_SOCIALS_CONFIG"] = str(tmp_path)
    elif mistake == "bad IMatch address":
        env["IMATCH_SOCIALS_IMATCH_URL"] = "localhost:50519"
    elif mistake == "state folder is a file":
        (tmp_path / "state").write_text("", encoding="utf-8")
    elif mistake == "state database from a newer version":
        (tmp_path / "state").mkdir()
        with contextlib.closing(sqlite3.connect(tmp_path / "state" / "journal.sqlite")) as db:
            db.execute("PRAGMA user_version = 999")
    elif mistake == "state database damaged":
        (tmp_path / "state").mkdir()
        (tmp_path / "state" / "journal.sqlite").write_bytes(b"not a database, not at all" * 40)
    result = run("--headless", "--json", env=env)
    assert result.returncode == 2
    assert "Traceback" not in result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["exit_code"] == 2
    assert document["problem_kind"] == kind
    assert said in document["problem"]
    assert "[Errno" not in document["problem"]  # plain words, not Python's
    if kind == "state" and "newer" not in said:
        assert str(tmp_path / "state") in document["problem"]  # the place is named
    if "database" in mistake:  # a dry run plans from a copy of it: the same reason
        dry_run = json.loads(run("--headless", "--dry-run", "--json", env=env).stdout)
        assert said in dry_run["problem"]
    if kind == "state":  # `doctor` finds it too, rather than "ready to sync"
        doctor = run("doctor", env=env)
        assert doctor.returncode == 2, doctor.stdout
        fixes = [line for line in doctor.stdout.splitlines() if line.startswith("FIX")]
        assert any(said in line for line in fixes), doctor.stdout


# --- flags ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("--dry-run", "demo", "--headless"),
        ("demo", "--headless", "--dry-run"),
        ("--headless", "demo", "--dry-run"),
        ("--dry-run", "--headless", "demo"),
        ("demo", "--dry-run", "--headless"),
        ("--platform", "pixelfed", "demo", "--headless", "--dry-run", "--platform", "flickr"),
    ],
)
def test_demo_flags_mean_the_same_before_and_after_demo(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    result = run(*args, env=environment(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "flickr (dry run):" in result.stdout
    assert "pixelfed (dry run):" in result.stdout
    assert "added" not in result.stdout  # a dry run changes nothing
    assert ("mastodon (dry run):" in result.stdout) == ("--platform" not in args)
    assert "Traceback" not in result.stderr


def test_demo_json_and_platform_after_demo(tmp_path: Path) -> None:
    result = run(
        "demo", "--headless", "--json", "--platform", "pixelfed", env=environment(tmp_path)
    )
    document = json.loads(result.stdout)  # only the JSON document on standard output
    assert list(document["platforms"]) == ["pixelfed"]
    assert document["platforms"]["pixelfed"]["added"] > 0
    assert result.returncode == document["exit_code"]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--dry-run",), "--dry-run"),
        (("--json",), "--json"),
        (("--only", "add"), "--only"),
        (("--platform", "flickr"), "--platform"),
        (("demo", "--dry-run"), "--dry-run"),
        (("--json", "demo"), "--json"),
        (("--dry-run", "doctor"), "--dry-run"),
        (("--headless", "login", "flickr"), "--headless"),
    ],
)
def test_headless_flags_without_headless_are_refused(
    tmp_path: Path, args: tuple[str, ...], named: str
) -> None:
    result = run(*args, env=environment(tmp_path))
    assert result.returncode == 2
    line = one_line(result)
    assert named in line
    assert "--headless" in line


@pytest.mark.parametrize("value", ["", " ", ",", "nope", "add,nope"])
def test_an_empty_or_unknown_only_is_refused_listing_the_valid_ones(
    tmp_path: Path, value: str
) -> None:
    for args in (("--headless", "--only", value), ("--only", value)):
        result = run(*args, env=environment(tmp_path))
        assert result.returncode == 2
        line = one_line(result)
        assert "--only" in line
        assert "add, update, metadata, delete, errors" in line


def test_an_unknown_flag_is_one_line(tmp_path: Path) -> None:
    result = run("--platform-nope", env=environment(tmp_path))
    assert result.returncode == 2
    line = one_line(result)
    assert "--platform-nope" in line
    assert "imatch-socials --help" in line


@pytest.mark.parametrize("args", [(), ("demo",)])
def test_the_terminal_app_refuses_to_start_without_a_terminal(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    result = run(*args, env=environment(tmp_path), timeout=60)
    assert result.returncode == 2
    line = one_line(result)
    assert "terminal" in line
    assert "--headless" in line


def test_version(tmp_path: Path) -> None:
    from importlib.metadata import version

    result = run("--version", env=environment(tmp_path))
    assert result.returncode == 0
    assert result.stdout.strip() == f"imatch-socials {version('imatch-socials')}"


# --- a Windows console code page ---------------------------------------------------------------


def test_headless_on_a_windows_code_page_survives_emoji_and_non_latin_titles(
    sample_library: LibraryInfo, tmp_path: Path
) -> None:
    with sandbox_world(sample_library.path) as world:
        home = tmp_path / "home"
        world.configure_home(home, NO_RATE_LIMITS)
        for number, sim_file in enumerate(world.imatch.db.files.values()):
            sim_file.tags["title"] = f"🌅 富士山の朝 № {number} — Ελλάδα"
            sim_file.name = f"夕焼け-{number}.jpg"
        album = world.imatch.db.categories["Socials|flickr|albums|Landscapes"]
        world.imatch.db.ensure_category(
            "Socials|flickr|albums|🌅 富士山の朝"
        ).description = album.description
        env = environment(home, PYTHONIOENCODING="cp1252")
        for args in (("--headless", "--dry-run"), ("--headless",)):
            result = subprocess.run(
                [*CLI, *args], capture_output=True, env=env, stdin=subprocess.DEVNULL, timeout=120
            )
            printed = (result.stdout + result.stderr).decode("cp1252", "replace")
            assert "Traceback" not in printed
            assert "UnicodeEncodeError" not in printed
            assert result.returncode in (0, 1), printed
            assert "pixelfed" in printed
            if "--dry-run" in args:
                assert "? ????? ? 3 — ??????" in printed  # what cp1252 can show, it shows
            else:
                assert "flickr: added ???-" in printed
        doctor = subprocess.run(
            [*CLI, "doctor"], capture_output=True, env=env, stdin=subprocess.DEVNULL, timeout=120
        )
        printed = (doctor.stdout + doctor.stderr).decode("cp1252", "replace")
        assert "Traceback" not in printed
        assert doctor.returncode == 0, printed
        assert "Socials|flickr|albums|? ?????" in printed


@pytest.mark.parametrize("imatch_only", [False, True])
@pytest.mark.parametrize("folder", ["empty", "missing"])
def test_a_sandbox_library_folder_without_a_library_is_named(
    tmp_path: Path, folder: str, imatch_only: bool
) -> None:
    library = tmp_path / folder
    if folder == "empty":
        library.mkdir()
    command = ["sandbox", "--library", str(library)] + (["--imatch-only"] if imatch_only else [])
    result = run(*command, env=environment(tmp_path))
    assert result.returncode == 2
    line = one_line(result)
    assert str(library) in line
    assert "library.json" in line


def test_the_demo_ignores_the_users_own_settings(tmp_path: Path) -> None:
    """A photographer's environment names their real IMatch and config.toml: the demo
    must use its simulators all the same, never their IMatch or their accounts."""
    real = write_config(tmp_path / "real", '[flickr]\nis_public = 1\n[imatch]\nurl = ""\n')
    env = environment(
        tmp_path,
        IMATCH_SOCIALS_CONFIG=str(real),
        IMATCH_SOCIALS_IMATCH_URL=closed_port_url(),
    )
    result = run("demo", "--headless", "--dry-run", env=env)
    assert result.returncode == 0, result.stderr
    assert "flickr (dry run):" in result.stdout
    assert "pixelfed (dry run):" in result.stdout
