"""Security checks: secrets stay out of logs, output, errors and the journal; token files
are private; pixelfed refuses plain http off this computer; a remote IMatch is warned of.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.library import DEMO_APP_VARIABLES, generate_library
from sandbox.world import SandboxWorld, sandbox_world
from sync.config import Credentials, Settings
from sync.connect import SetupError, open_platform
from sync.logs import setup_logging
from sync.platforms.pixelfed.platform import PixelfedPlatform
from sync.platforms.pixelfed.settings import PixelfedCredentials
from sync.session import imatch_location_warning
from tests.cli_process import run_cli
from tests.sync_checks import NO_RATE_LIMITS, sync_once

CANARY_KEY = "canarykey5f3a9e0c71d2b84e"
CANARY_SECRET = "canarysecret8d1e2f3a4b5c"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxWorld]:
    variables = {**DEMO_APP_VARIABLES, "flickr_api_key": CANARY_KEY}
    variables["flickr_api_secret"] = CANARY_SECRET
    generate_library(tmp_path / "library", 6, cases=False, seed=9, app_variables=variables)
    with sandbox_world(tmp_path / "library") as world:
        world.configure_home(tmp_path / "home", NO_RATE_LIMITS)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path / "home"))
        yield world


def secrets_of(world: SandboxWorld) -> list[str]:
    login = world.flickr_login
    return [
        CANARY_KEY,
        CANARY_SECRET,
        login.token,
        login.token_secret,
        str(world.imatch.db.app_variables["pixelfed_token"]),
        *world.imatch.sessions,  # every IMatch auth token handed out
    ]


def test_secrets_never_reach_logs_output_errors_or_the_journal(
    world: SandboxWorld,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "IMATCH_SOCIALS_PIXELFED_TOKEN", str(world.imatch.db.app_variables["pixelfed_token"])
    )
    secrets = secrets_of(world)
    log_file = setup_logging(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    # Faults make the tool log retries and errors too, and IMatch sessions expire.
    world.flickr.knobs.fail_rate = world.pixelfed.knobs.fail_rate = 0.3
    world.flickr.knobs.drop_rate = world.pixelfed.knobs.drop_rate = 0.3
    world.imatch.expire_tokens()
    _, first = sync_once()
    world.imatch.db.app_variables["pixelfed_token"] = "wrong"  # a refused token: an error
    monkeypatch.delenv("IMATCH_SOCIALS_PIXELFED_TOKEN")
    _, second = sync_once()
    output = capsys.readouterr()
    for handler in logging.getLogger().handlers:
        handler.flush()
    texts = {
        "log file": log_file.read_text(encoding="utf-8"),
        "caplog": caplog.text,
        "stdout": output.out,
        "stderr": output.err,
        "summaries": str(first) + str(second),
    }
    journal = (tmp_path / "home" / "state" / "journal.sqlite").read_bytes()
    assert texts["log file"]
    assert caplog.records
    assert "refused the token" in str(second)
    for secret in [*secrets, *world.imatch.sessions]:
        assert len(secret) > 8
        for where, text in texts.items():
            assert secret not in text, f"a secret in the {where}"
        assert secret.encode() not in journal, "a secret in the journal"


def test_token_files_are_readable_by_their_owner_only(world: SandboxWorld, tmp_path: Path) -> None:
    token = tmp_path / "home" / "state" / "flickr-token.json"
    assert stat.S_IMODE(token.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "url", ["http://pixelfed.social", "http://192.168.1.5:8080", "http://[2001:db8::1]"]
)
def test_pixelfed_over_plain_http_is_refused_off_this_computer(url: str) -> None:
    with pytest.raises(ValueError, match="plain http"):
        PixelfedPlatform(url, "token")
    credentials = Credentials(
        {"pixelfed": PixelfedCredentials(pixelfed_url=url, pixelfed_token="token")}
    )
    with pytest.raises(SetupError, match="plain http"):
        open_platform("pixelfed", Settings(), credentials)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8081", "http://localhost:8081", "https://a.b"])
def test_pixelfed_over_loopback_or_https_is_accepted(url: str) -> None:
    PixelfedPlatform(url, "token")


def test_imatch_elsewhere_is_warned_of(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for local in (
        "http://127.0.0.1:50519",
        "http://localhost:50519",
        "http://[::1]:50519",
        "localhost:50519",  # a mistake reported on its own, never "not on this computer"
        "127.0.0.1:50519",
        "http://LOCALHOST:50519/",
        "http://localhost.:50519",
        "http://imatch.localhost:50519",
        f"http://{socket.gethostname()}:50519",
        f"http://{socket.gethostname().upper()}:50519",
    ):
        assert imatch_location_warning(local) == "", local
    remote = "http://imatch-pc.invalid:50519"
    assert imatch_location_warning(remote).startswith(
        f"IMatch at {remote} looks like another computer: its web service has no password"
    )
    config = tmp_path / "config" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(f'[imatch]\nurl = "{remote}"\n', encoding="utf-8")
    monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
    code, _ = sync_once()
    err = capsys.readouterr().err
    assert code == 2  # unreachable, but the warning came first
    assert f"warning: IMatch at {remote} looks like another computer" in err


def private_modes(folder: Path) -> dict[str, int]:
    """Mode of `folder` and of everything under it, by path relative to its parent."""
    found = {folder.name: stat.S_IMODE(folder.stat().st_mode)}
    for path in folder.rglob("*"):
        found[str(path.relative_to(folder.parent))] = stat.S_IMODE(path.stat().st_mode)
    return found


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_state_and_log_files_are_private_after_a_real_run(
    world: SandboxWorld, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    run = run_cli("--headless")
    assert run.returncode in (0, 1), run.stderr
    for folder in (home / "state", home / "logs"):
        modes = private_modes(folder)
        if folder.name == "logs":
            assert any(name.endswith(".log") for name in modes), modes
        for name, mode in modes.items():
            wanted = 0o700 if (folder.parent / name).is_dir() else 0o600
            assert mode == wanted, (name, oct(mode))


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_rotated_log_files_stay_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(tmp_path))
    old_umask = os.umask(0o022)
    try:
        path = setup_logging()
        logging.getLogger("sync.test").warning("private photo title")
        handler = next(h for h in logging.getLogger().handlers if getattr(h, "_imatch_socials", 0))
        assert isinstance(handler, logging.handlers.RotatingFileHandler)
        handler.doRollover()
        logging.getLogger("sync.test").warning("after the rollover")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for log in path.parent.iterdir():
        assert stat.S_IMODE(log.stat().st_mode) == 0o600, log.name
