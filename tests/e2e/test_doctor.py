"""`imatch-socials doctor` against the sandbox with one piece of the set-up missing at a time.

Each test removes something from the IMatch simulator's database (or breaks a login)
before diagnosing, and asserts the exact guidance the user gets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.library import LibraryInfo
from sandbox.serving import bind_loopback
from sandbox.world import SandboxWorld, sandbox_world
from sync.config import load_settings
from sync.doctor import Check, diagnose, exit_code, run_doctor
from sync.platforms.flickr.api import FlickrToken
from sync.platforms.flickr.login import save_token
from sync.secret_store import SecretStore
from tests.cli_process import run_cli

SECRETS = ("demo-flickr-key", "demo-flickr-secret")


@pytest.fixture
def world(
    sample_library: LibraryInfo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clean_environment: None,
) -> Iterator[SandboxWorld]:
    """The three simulators with the demo library, and a home configured for them."""
    with sandbox_world(sample_library.path) as sandbox:
        home = tmp_path / "home"
        sandbox.configure_home(home)
        monkeypatch.setenv("IMATCH_SOCIALS_HOME", str(home))
        yield sandbox


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


def failures(checks: list[Check]) -> dict[str, tuple[bool, str]]:
    """Failed checks: name -> (blocking, detail)."""
    return {c.name: (c.blocking, c.detail) for c in checks if not c.ok}


def remove_category_tree(world: SandboxWorld, path: str) -> None:
    db = world.imatch.db
    with db.lock:
        for name in [p for p in db.categories if p == path or p.startswith(path + "|")]:
            del db.categories[name]


async def test_a_complete_setup_passes_and_never_shows_secrets(
    world: SandboxWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    checks = await diagnose()
    assert failures(checks) == {}
    found = by_name(checks)
    assert found["flickr login"].detail == "logged in as demo with delete permission"
    assert found["variable flickr_api_key"].detail == "set"
    assert found["variable pixelfed_token"].detail == "set"
    assert found["Socials|flickr|groups|Landscape Lovers"].ok
    assert exit_code(checks) == 0


def test_run_doctor_prints_each_check_and_hides_secret_values(
    world: SandboxWorld, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_doctor() == 0
    out = capsys.readouterr().out
    assert "OK    IMatch" in out
    assert "All checks passed: ready to sync." in out
    token = str(world.imatch.db.app_variables["pixelfed_token"])
    for secret in (*SECRETS, token, world.flickr_login.token_secret):
        assert secret not in out


async def test_missing_categories_say_what_to_create(world: SandboxWorld) -> None:
    remove_category_tree(world, "Socials|pixelfed")
    remove_category_tree(world, "Socials|flickr|_delete")
    remove_category_tree(world, "Socials|flickr|__errors")
    db = world.imatch.db
    db.categories["Socials|flickr|albums|Landscapes"].description = ""
    db.categories["Socials|flickr|groups|Landscape Lovers"].description = "Landscape Lovers"
    checks = await diagnose()
    assert failures(checks) == {
        "Socials|pixelfed": (
            True,
            "missing: create the category Socials|pixelfed in IMatch and assign the versions "
            "to publish on pixelfed to it",
        ),
        "Socials|flickr|_delete": (
            False,
            "missing: create the category Socials|flickr|_delete (photos to delete from flickr)",
        ),
        "Socials|flickr|__errors": (
            False,
            "missing: create the category Socials|flickr|__errors (filled by imatch-socials: "
            "one child per error name)",
        ),
        "Socials|flickr|albums|Landscapes": (
            False,
            "no flickr album id: put the album id (the number in the album's address, e.g. "
            "72177720316352529) on the first line of the category's description",
        ),
        "Socials|flickr|groups|Landscape Lovers": (
            False,
            "the description starts with 'Landscape Lovers', which is not a flickr group id: "
            "put the group id (the group's NSID, e.g. 12345678@N00) on its first line",
        ),
        # Without Socials|pixelfed there are no photos whose records could be read.
        "attribute set pixelfed": (
            False,
            "not checked: Socials|pixelfed holds no photo yet. It must exist with the "
            "attributes posted (Date), media_id (Text, unique), status_id (Text, unique), "
            "url (Hyperlink, unique)",
        ),
    }
    assert exit_code(checks) == 2


async def test_category_names_come_from_the_configuration(world: SandboxWorld) -> None:
    settings = load_settings()
    config = settings.source
    assert config is not None
    config.write_text(
        config.read_text(encoding="utf-8") + '\n[categories]\nroot = "Share"\n', encoding="utf-8"
    )
    checks = await diagnose(platforms=["flickr"])
    assert failures(checks)["Share|flickr"] == (
        True,
        "missing: create the category Share|flickr in IMatch and assign the versions to "
        "publish on flickr to it",
    )


async def test_missing_attribute_set_and_attribute(world: SandboxWorld) -> None:
    db = world.imatch.db
    del db.attribute_sets["flickr"]
    del db.attribute_sets["pixelfed"]["status_id"]
    for instance in db.instances.values():
        instance.values.pop("status_id", None)
    checks = await diagnose()
    assert failures(checks) == {
        "attribute set flickr": (
            True,
            "IMatch cannot read the attribute set flickr (unknown attribute set: flickr): "
            "create the attribute set flickr with the attributes posted (Date), "
            "photo_id (Text, unique), url (Hyperlink, unique)",
        ),
        "attribute set pixelfed": (
            True,
            "no record holds status_id: add the missing attribute status_id (Text, unique) "
            "to the attribute set pixelfed",
        ),
        "attribute set mastodon": (
            True,
            "no record holds status_id: add the missing attribute status_id (Text, unique) "
            "to the attribute set mastodon",
        ),
    }


async def test_missing_and_wrong_app_variables(world: SandboxWorld) -> None:
    variables = world.imatch.db.app_variables
    for name in ("flickr_api_key", "pixelfed_token", "imatch_to_socials_python_script_path"):
        del variables[name]
    variables["pixelfed_visibility"] = "direct"
    variables["flickr_is_family"] = "maybe"
    checks = await diagnose()
    menu = "Edit > Preferences > Variables"
    assert failures(checks) == {
        "variable flickr_api_key": (
            True,
            f"unset: create the IMatch application variable flickr_api_key ({menu}) holding "
            "your flickr API key",
        ),
        "variables flickr_is_*": (
            False,
            "flickr_is_family is 'maybe': use 1 (set) or 0 (unset); read as 0",
        ),
        "flickr login": (True, "not tried: fix flickr_api_key first"),
        "variable pixelfed_token": (
            True,
            f"unset: create the IMatch application variable pixelfed_token ({menu}) holding "
            "a personal access token from your pixelfed instance (scopes read and write)",
        ),
        "variable pixelfed_visibility": (
            True,
            "'direct' is not a pixelfed visibility: use public, unlisted, private "
            "(pixelfed has no direct posts)",
        ),
        "pixelfed login": (True, "not tried: fix pixelfed_token, pixelfed_visibility first"),
        "variable imatch_to_socials_python_script_path": (
            False,
            "unset (only the IMatch app needs it): set it to the folder holding "
            "imatch-socials.exe, e.g. C:\\Tools\\imatch-socials\\.venv\\Scripts",
        ),
    }


async def test_original_spelling_and_script_folder(world: SandboxWorld, tmp_path: Path) -> None:
    variables = world.imatch.db.app_variables
    variables["flickr_apikey"] = variables.pop("flickr_api_key")
    variables["imatch_to_socials_python_script_path"] = str(tmp_path)
    checks = await diagnose(platforms=["flickr"])
    found = by_name(checks)
    assert found["variable flickr_api_key"].detail == "set (as flickr_apikey)"
    assert found["flickr login"].ok
    assert failures(checks) == {
        "variable imatch_to_socials_python_script_path": (
            False,
            f"{tmp_path} holds no imatch-socials.exe: the IMatch app cannot start the sync. "
            "Set it to the folder holding imatch-socials.exe (a virtual environment's "
            "Scripts folder)",
        )
    }
    (tmp_path / "imatch-socials.exe").write_bytes(b"")
    found = by_name(await diagnose(platforms=["flickr"]))
    assert found["variable imatch_to_socials_python_script_path"].detail == (
        f"{tmp_path} (the IMatch app runs imatch-socials.exe)"
    )


async def test_imatch_not_running(world: SandboxWorld) -> None:
    with bind_loopback() as sock:  # a free port: nothing listens there afterwards
        port = sock.getsockname()[1]
    settings = load_settings()
    config = settings.source
    assert config is not None
    config.write_text(f'[imatch]\nurl = "http://127.0.0.1:{port}"\n', encoding="utf-8")
    checks = await diagnose()
    assert [c.name for c in checks] == ["configuration", "state", "IMatch"]
    assert failures(checks) == {
        "IMatch": (
            True,
            f"IMatch is not running at http://127.0.0.1:{port}: start IMatch (its web "
            "services start with it). To check the address, open "
            f"http://127.0.0.1:{port}/ in a browser on this computer while IMatch runs: "
            "if nothing answers, IMatch's web services use another port; set the address "
            f"they use as [imatch] url in {config}",
        )
    }
    assert exit_code(checks) == 2


async def test_bad_flickr_token(world: SandboxWorld) -> None:
    login = world.flickr_login
    save_token(
        SecretStore(),
        login.api_key,
        FlickrToken("not-a-token", "wrong", "delete", login.user_nsid, login.username),
    )
    checks = await diagnose(platforms=["flickr"])
    assert failures(checks) == {
        "flickr login": (True, "flickr refused the login: run `imatch-socials login flickr`")
    }
    SecretStore().delete("flickr-token")
    assert failures(await diagnose(platforms=["flickr"])) == {
        "flickr login": (True, "not logged in to flickr: run `imatch-socials login flickr`")
    }


async def test_bad_pixelfed_token(world: SandboxWorld) -> None:
    world.imatch.db.app_variables["pixelfed_token"] = "no-such-token"
    checks = await diagnose(platforms=["pixelfed"])
    assert failures(checks) == {
        "pixelfed login": (
            True,
            "pixelfed refused the token in pixelfed_token: create a new personal access token "
            "in pixelfed (Settings > Applications, scopes read and write), put it in the "
            "IMatch application variable pixelfed_token, then run "
            "`imatch-socials login pixelfed`",
        )
    }


async def test_broken_configuration(world: SandboxWorld) -> None:
    config = load_settings().source
    assert config is not None
    config.write_text("[flickr]\nconcurrency = 'four'\n", encoding="utf-8")
    checks = await diagnose()
    assert failures(checks) == {
        "configuration": (
            True,
            f"{config}: flickr.concurrency: expected a whole number of 0 or more, got 'four': "
            "correct the file or delete it",
        )
    }


def test_cli_doctor_exit_code_and_platform_choice(world: SandboxWorld) -> None:
    del world.imatch.db.app_variables["pixelfed_token"]
    run = run_cli("doctor", "--platform", "flickr", timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "pixelfed" not in run.stdout
    run = run_cli("doctor", timeout=60)
    assert run.returncode == 2
    assert "FIX   variable pixelfed_token" in run.stdout
    assert "2 problems (FIX) block a sync" in run.stdout


def test_doctor_prints_the_config_state_and_log_folders(
    world: SandboxWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_doctor(["flickr"]) == 0
    shown = capsys.readouterr().out.splitlines()
    home = tmp_path / "home"
    assert f"config file   {home / 'config' / 'config.toml'}" in shown
    assert f"state folder  {home / 'state'}  (journal, flickr login)" in shown
    assert f"log folder    {home / 'logs'}  (imatch-socials.log)" in shown


def test_doctor_with_a_config_variable_naming_nothing(
    world: SandboxWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "typo.toml"
    monkeypatch.setenv("IMATCH_SOCIALS_CONFIG", str(missing))
    checks = asyncio.run(diagnose())
    assert failures(checks) == {
        "configuration": (
            True,
            f"IMATCH_SOCIALS_CONFIG names {missing}, which does not exist: create it, or "
            "correct or remove the variable",
        )
    }
