"""Configuration: defaults, a strict config file, environment overrides, credentials."""

from __future__ import annotations

from pathlib import Path, PureWindowsPath

import pytest

from imatch.models import AppVariables
from sync import paths
from sync.config import ConfigError, credentials, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "missing.toml", environ={})
    assert settings.imatch.url == "http://127.0.0.1:50519"
    assert settings.imatch.chunk_size == 500
    assert settings.categories.root == "Socials"
    assert settings.enabled_platforms == ("flickr", "pixelfed", "mastodon")
    assert "headline" in settings.platform("pixelfed").require
    assert "headline" not in settings.platform("flickr").require
    assert settings.platform("flickr").concurrency == 2
    assert settings.source is None


def test_file_values_and_nested_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[imatch]\nurl = "http://127.0.0.1:9"\nchunk_size = 100\n'
        '[categories]\nroot = "Web"\n'
        '[keywords]\nexclude = ["places|home"]\n'
        "[pixelfed]\nenabled = false\nconcurrency = 2\n",
    )
    settings = load_settings(path, environ={})
    assert settings.imatch.url == "http://127.0.0.1:9"
    assert settings.imatch.chunk_size == 100
    assert settings.imatch.max_in_flight == 4
    assert settings.categories.root == "Web"
    assert settings.categories.update == "_update"
    assert settings.keywords.exclude == ("places|home",)
    assert settings.enabled_platforms == ("flickr", "mastodon")
    assert settings.platform("pixelfed").concurrency == 2
    assert (
        "headline" in settings.platform("pixelfed").require
    )  # the platform's own default survives
    assert settings.source == path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[imatch]\nchunksize = 5\n", "unknown key imatch.chunksize"),
        ('[flickr]\nconcurrency = "four"\n', "flickr.concurrency: expected a whole number"),
        ("[flickr]\nenabled = 1\n", "flickr.enabled: expected true or false"),
        ("[keywords]\nexclude = 3\n", "keywords.exclude: expected a list"),
        ('[keywords]\nlevels = ["one"]\n', "keywords.levels[0]: expected a whole number"),
        ("[instagram]\nenabled = true\n", "unknown key instagram"),
        # Malformed keyword filters (issue 12): a filter that names nothing would publish
        # everything it was meant to keep private.
        ('[keywords]\nexclude = ["places|home", ""]\n', "keywords.exclude[1]: names no"),
        ('[keywords]\nexclude = [" | "]\n', "keywords.exclude[0]: names no"),
        ('[keywords]\ninclude_roots = ["\u200b"]\n', "keywords.include_roots[0]: names no"),
        ("[keywords]\nlevels = [0, 2]\n", "keywords.levels[0]: levels count from 1"),
        ("[keywords]\nlocation_levels = [0]\n", "keywords.location_levels[0]: levels count"),
        ("imatch = 3\n", "imatch: expected a table"),
        ("[imatch\n", "not valid TOML"),
    ],
)
def test_bad_files_name_the_key_and_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(
        ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")
    ) as raised:
        load_settings(path, environ={})
    assert str(path) in str(raised.value)


def test_environment_overrides(tmp_path: Path) -> None:
    settings = load_settings(
        tmp_path / "none.toml", environ={"IMATCH_SOCIALS_IMATCH_URL": "http://127.0.0.1:1"}
    )
    assert settings.imatch.url == "http://127.0.0.1:1"
    variables = AppVariables({"pixelfed_token": "from-imatch", "flickr_apikey": "old"})
    creds = credentials(variables, settings, environ={"IMATCH_SOCIALS_PIXELFED_TOKEN": "from-env"})
    assert creds.of("pixelfed").pixelfed_token == "from-env"
    assert creds.of("flickr").flickr_api_key == "old"


def test_credentials_from_app_variables_in_both_spellings_and_types(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "none.toml", environ={})
    variables = AppVariables(
        {
            "flickr_apikey": "key-1234",
            "flickr_apisecret": "secret-5678",
            "flickr_is_public": 1,
            "flickr_is_friend": "0",
            "flickr_is_family": "1",
            "pixelfed_url": "https://pixelfed.example",
            "pixelfed_visibility": "unlisted",
            "flickr_url": " https://www.flickr.com/photos/dcbuchan ",
        }
    )
    every = credentials(variables, settings, environ={})
    creds = every.of("flickr")
    assert creds.flickr_url == "https://www.flickr.com/photos/dcbuchan"
    assert (creds.flickr_api_key, creds.flickr_api_secret) == ("key-1234", "secret-5678")
    assert (creds.flickr_is_public, creds.flickr_is_friend, creds.flickr_is_family) == (
        True,
        False,
        True,
    )
    assert every.of("pixelfed").pixelfed_visibility == "unlisted"
    assert "key-1234" not in repr(every)
    assert "secret-5678" not in repr(creds)


def test_a_mistyped_requirement_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, '[pixelfed]\nrequire = ["title", "headine"]\n')
    with pytest.raises(ConfigError, match=r"pixelfed\.require: unknown 'headine'"):
        load_settings(path, environ={})


def test_a_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes('[imatch]\nurl = "http://127.0.0.1:9"\n'.encode("utf-8-sig"))
    assert load_settings(path, environ={}).imatch.url == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("encoding", "named"),
    [
        ("utf-16", "UTF-16"),
        ("utf-16-le", "UTF-16"),
        ("cp1252", "another encoding"),
    ],
)
def test_other_encodings_are_named(tmp_path: Path, encoding: str, named: str) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes('[categories]\nroot = "Médias"\n'.encode(encoding))
    with pytest.raises(ConfigError, match=r"config\.toml must be UTF-8") as raised:
        load_settings(path, environ={})
    assert named in str(raised.value)
    assert str(path) in str(raised.value)


def test_a_folder_where_the_file_should_be(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a folder"):
        load_settings(tmp_path, environ={})


@pytest.mark.parametrize(
    "url", ["localhost:50519", "not a url", "127.0.0.1:50519", "ftp://127.0.0.1:50519", ""]
)
def test_a_bad_imatch_url_names_the_setting_and_a_valid_example(tmp_path: Path, url: str) -> None:
    path = write(tmp_path, f"[imatch]\nurl = {url!r}\n".replace("'", '"'))
    with pytest.raises(ConfigError, match=r"imatch\.url") as raised:
        load_settings(path, environ={})
    assert "e.g. http://127.0.0.1:50519" in str(raised.value)
    if url:
        with pytest.raises(ConfigError, match=r"^IMATCH_SOCIALS_IMATCH_URL: "):
            load_settings(tmp_path / "none.toml", environ={"IMATCH_SOCIALS_IMATCH_URL": url})


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:50519", "https://imatch.example:8443/", "http://[::1]:50519"]
)
def test_good_imatch_urls(tmp_path: Path, url: str) -> None:
    settings = load_settings(tmp_path / "none.toml", environ={"IMATCH_SOCIALS_IMATCH_URL": url})
    assert settings.imatch.url == url


def test_the_config_variable_must_name_a_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match=r"IMATCH_SOCIALS_CONFIG names .* does not exist"):
        load_settings(environ={"IMATCH_SOCIALS_CONFIG": str(missing)})
    with pytest.raises(ConfigError, match=r"IMATCH_SOCIALS_CONFIG names .* is a folder"):
        load_settings(environ={"IMATCH_SOCIALS_CONFIG": str(tmp_path)})
    good = write(tmp_path, "[imatch]\nchunk_size = 7\n")
    settings = load_settings(environ={"IMATCH_SOCIALS_CONFIG": str(good)})
    assert settings.imatch.chunk_size == 7
    assert settings.source == good


def test_the_windows_folders_are_the_ones_readme_and_guide_name(
    monkeypatch: pytest.MonkeyPatch, clean_environment: None
) -> None:
    """platformdirs puts the app's name twice on Windows (appauthor defaults to it)."""
    import platformdirs
    import platformdirs.windows

    folders = {
        "CSIDL_LOCAL_APPDATA": "C:\\Users\\anna\\AppData\\Local",
        "CSIDL_APPDATA": "C:\\Users\\anna\\AppData\\Roaming",
    }
    monkeypatch.setattr(platformdirs.windows, "get_win_folder", folders.__getitem__)
    monkeypatch.setattr(platformdirs, "PlatformDirs", platformdirs.windows.Windows)
    base = PureWindowsPath("C:\\Users\\anna\\AppData\\Local\\imatch-socials\\imatch-socials")
    assert PureWindowsPath(str(paths.config_file())) == base / "config.toml"
    assert PureWindowsPath(str(paths.state_dir())) == base
    assert PureWindowsPath(str(paths.log_dir())) == base / "Logs"
    root = Path(__file__).resolve().parents[2]
    for doc in ("README.md", "docs/GUIDE.md"):
        text = (root / doc).read_text(encoding="utf-8")
        assert "%LOCALAPPDATA%\\imatch-socials\\imatch-socials" in text, doc
        assert "`%LOCALAPPDATA%\\imatch-socials`" not in text, doc


def test_a_mastodon_section_is_a_platform_section(tmp_path: Path) -> None:
    """Sections come from the registry: `[mastodon]` is read like the others, with its own
    defaults under what the file sets."""
    path = write(tmp_path, '[mastodon]\nvisibility = "unlisted"\nconcurrency = 1\n')
    settings = load_settings(path, environ={})
    mastodon = settings.platform("mastodon")
    assert (mastodon.visibility, mastodon.concurrency) == ("unlisted", 1)
    assert mastodon.rate_per_hour == 3000.0  # Mastodon's own default survives
