"""Configuration: `config.toml`, IMatch application variables and environment overrides.

Every setting has a default, so no file is needed. A file that exists is checked
strictly: an unknown key or a value of the wrong type is reported with its full key name
(`<platform>.concurrency: expected a whole number, got "four"`), never silently ignored.
Credentials come from IMatch application variables as in the original tool, or from
environment variables, which win.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

import httpx

from imatch.library import CategoryLayout
from imatch.models import AppVariables
from sync import paths
from sync.keyword_paths import normal_path

REQUIRABLE = ("title", "description", "headline", "keywords", "genre")
"""What `require` may name (sync/rules.py checks each)."""
DETECT_CHANGES = ("off", "show", "publish")
"""What `detect_changes` may be: a published photo whose post or file changed in IMatch is
not looked for, shown as `changed`, or also published without a flag."""
ENV_PREFIX = "IMATCH_SOCIALS_"
URL_VARIABLE = f"{ENV_PREFIX}IMATCH_URL"


class ConfigError(Exception):
    """The configuration cannot be used; the message names the key and the problem.

    `says_fix`: the message already says what to do (else the reader adds "correct the
    file")."""

    def __init__(self, message: str, *, says_fix: bool = False) -> None:
        super().__init__(message)
        self.says_fix = says_fix


@dataclass(frozen=True)
class IMatchSettings:
    url: str = "http://127.0.0.1:50519"
    user: str = ""
    """IMatch user name; empty means the operating system login name."""
    timeout: float = 30.0
    chunk_size: int = 500
    max_in_flight: int = 4


@dataclass(frozen=True)
class CategorySettings:
    root: str = "Socials"
    update: str = CategoryLayout.update
    metadata: str = CategoryLayout.metadata
    delete: str = CategoryLayout.delete
    errors: str = CategoryLayout.errors
    albums: str = CategoryLayout.albums
    groups: str = CategoryLayout.groups
    genre: str = "Image Characteristics|Genre"
    events: tuple[str, ...] = ("Event|Festival", "Event|Celebration")
    location: str = "Location"

    @property
    def layout(self) -> CategoryLayout:
        """The names under each platform's root, as the IMatch reader wants them."""
        return CategoryLayout(
            self.update, self.metadata, self.delete, self.errors, self.albums, self.groups
        )


@dataclass(frozen=True)
class KeywordSettings:
    include_roots: tuple[str, ...] = ()
    """Publish only keywords under these roots (empty: all), e.g. `nature`."""
    exclude: tuple[str, ...] = ()
    """Never publish keywords under these paths, e.g. `places|home` (private places).
    Both filters compare normalised paths (case, spaces around `|`, empty levels and
    invisible characters do not matter) and apply to keywords from categories too."""
    levels: tuple[int, ...] = ()
    """Publish only these levels of each keyword (1 = the root; empty: all)."""
    location_levels: tuple[int, ...] = (2, 3, 4)
    """Levels of `Location|...` categories that become keywords (original: 2 to 4)."""
    genre_suffix: str = "photography"
    """Each genre `g` also adds `g photography`; empty turns this off."""


@dataclass(frozen=True)
class PlatformSettings:
    enabled: bool = True
    require: tuple[str, ...] = ("title", "description", "keywords", "genre")
    """Fields a photo must have: title, description, headline, keywords, genre."""
    formats: tuple[str, ...] = ("JPEG",)
    max_file_mb: float = 0.0
    """0 means the platform's own limit."""
    concurrency: int = 4
    rate_per_hour: float = 3600.0
    url: str = ""
    """Base URL of the service (your instance, or a simulator's when testing)."""
    visibility: str = ""
    """Who sees new posts, where the platform has a choice (default: app variable)."""
    detect_changes: str = "show"
    """off, show or publish: what to do with a published photo whose rendered post or
    file differs from what was published (see DETECT_CHANGES)."""


def setting_source(
    platform: str,
    key: str,
    settings: PlatformSettings,
    environ: Mapping[str, str],
    *,
    environment_wins: bool = False,
) -> str:
    """Where a platform's `key` (`url`, `visibility`) was set, named as the user would look
    for it: the environment variable, config.toml's section, or the app variable."""
    variable = f"{platform}_{key}"
    if environment_wins and environ.get(f"{ENV_PREFIX}{variable.upper()}", "").strip():
        return f"environment variable {ENV_PREFIX}{variable.upper()}"
    if str(getattr(settings, key, "")).strip():
        return f"config.toml [{platform}] {key}"
    return variable


def platform_names() -> tuple[str, ...]:
    """The registered platforms (imported here lazily: their packages import this module)."""
    from sync.platforms import registry

    return registry.names()


def _platform_defaults(name: str) -> PlatformSettings:
    from sync.platforms import registry

    return registry.spec(name).default_settings()


def _all_platform_defaults() -> dict[str, PlatformSettings]:
    return {name: _platform_defaults(name) for name in platform_names()}


@dataclass(frozen=True)
class Settings:
    imatch: IMatchSettings = field(default_factory=IMatchSettings)
    categories: CategorySettings = field(default_factory=CategorySettings)
    keywords: KeywordSettings = field(default_factory=KeywordSettings)
    platforms: Mapping[str, PlatformSettings] = field(default_factory=_all_platform_defaults)
    """Each platform's section (`[<name>]` in config.toml), keyed by platform name."""
    source: Path | None = None
    """The file these settings were read from, if any."""

    def platform(self, name: str) -> PlatformSettings:
        known = platform_names()
        if name not in known:
            raise ConfigError(f"unknown platform {name!r}: expected one of {', '.join(known)}")
        return self.platforms.get(name) or _platform_defaults(name)

    @property
    def enabled_platforms(self) -> tuple[str, ...]:
        return tuple(p for p in platform_names() if self.platform(p).enabled)


def load_settings(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Settings:
    """Read the config file (if it exists) and apply environment overrides.

    Without `path`, the file is the one `IMATCH_SOCIALS_CONFIG` names (which must then
    exist) or config.toml in the config folder (optional)."""
    environ = os.environ if environ is None else environ
    if path is None:
        path = paths.config_file(environ)
        if paths.CONFIG_VARIABLE in environ and environ[paths.CONFIG_VARIABLE].strip():
            _check_named_file(path)
    data = _read_file(path)
    url = environ.get(URL_VARIABLE, "").strip()
    if url:
        data.setdefault("imatch", {})["url"] = url
    sections = {name: data.pop(name) for name in platform_names() if name in data}
    settings: Settings = _build(Settings, data, "", path)
    settings = dataclasses.replace(settings, platforms=_platform_sections(sections, path))
    _check_keyword_filters(settings.keywords, path)
    _check_imatch_url(settings.imatch.url, URL_VARIABLE if url else f"{path}: imatch.url")
    for name in platform_names():
        detect = settings.platform(name).detect_changes
        if detect not in DETECT_CHANGES:
            raise ConfigError(
                f"{path}: {name}.detect_changes: expected one of "
                f"{', '.join(repr(d) for d in DETECT_CHANGES)}, got {detect!r}"
            )
        unknown = [r for r in settings.platform(name).require if r not in REQUIRABLE]
        if unknown:
            raise ConfigError(
                f"{path}: {name}.require: unknown {unknown[0]!r} "
                f"(choose from {', '.join(REQUIRABLE)})"
            )
    return dataclasses.replace(settings, source=path if path.is_file() else None)


def _platform_sections(sections: Mapping[str, Any], path: Path) -> dict[str, PlatformSettings]:
    """Each platform's settings: its section over its own defaults."""
    platforms = _all_platform_defaults()
    for name, value in sections.items():
        default = dataclasses.asdict(platforms[name])
        merged = {**default, **value} if isinstance(value, dict) else value
        platforms[name] = _build(PlatformSettings, merged, f"{name}.", path)
    return platforms


def _check_keyword_filters(keywords: KeywordSettings, path: Path) -> None:
    """A filter that names no path would silently filter nothing (or everything)."""
    for key in ("include_roots", "exclude"):
        for index, entry in enumerate(getattr(keywords, key)):
            if not normal_path(entry):
                raise ConfigError(
                    f"{path}: keywords.{key}[{index}]: names no keyword path ({entry!r}); "
                    'write its levels separated by |, e.g. "places|home"'
                )
    for key in ("levels", "location_levels"):
        for index, level in enumerate(getattr(keywords, key)):
            if level < 1:
                raise ConfigError(
                    f"{path}: keywords.{key}[{index}]: levels count from 1 (the root), got {level}"
                )


def _check_named_file(path: Path) -> None:
    """`IMATCH_SOCIALS_CONFIG` must name a file: silently using defaults would hide a typo."""
    where = f"{paths.CONFIG_VARIABLE} names {path}"
    if path.is_dir():
        raise ConfigError(
            f"{where}, which is a folder: name the config.toml file itself", says_fix=True
        )
    if not path.exists():
        raise ConfigError(
            f"{where}, which does not exist: create it, or correct or remove the variable",
            says_fix=True,
        )


def _read_file(path: Path) -> dict[str, Any]:
    """The parsed file, {} when there is none. A UTF-8 byte-order mark (Notepad) is fine."""
    if path.is_dir():
        raise ConfigError(f"{path} is a folder: the configuration must be a file")
    if not path.is_file():
        return {}
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read: {error.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = "\x00"  # read as not UTF-8 below
    if "\x00" in text:
        raise ConfigError(
            f"{path}: config.toml must be UTF-8, and this file is {_encoding_name(raw)}: "
            "open it in Notepad and save it again with Encoding: UTF-8",
            says_fix=True,
        )
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None


def _encoding_name(raw: bytes) -> str:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:200]:
        return 'UTF-16 (Notepad\'s "Unicode")'
    return "in another encoding (e.g. ANSI/Windows-1252)"


def _check_imatch_url(url: str, where: str) -> None:
    """IMatch's address must be a full http(s) address: httpx would fail with a traceback."""
    try:
        parsed = httpx.URL(url)
        valid = parsed.scheme in ("http", "https") and bool(parsed.host)
    except (httpx.InvalidURL, TypeError):
        valid = False
    if not valid:
        raise ConfigError(
            f"{where}: {url!r} is not an address IMatch can be reached at: write it with "
            f"http:// and the port, e.g. {IMatchSettings.url}",
            says_fix=True,
        )


def _build(cls: type[Any], data: Any, prefix: str, path: Path) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: {prefix.rstrip('.')}: expected a table")
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in ("source", "platforms")}
    for key in data:
        if key not in fields:
            sections = platform_names() if cls is Settings else ()
            known = ", ".join(sorted([*fields, *sections]))
            raise ConfigError(f"{path}: unknown key {prefix}{key} (known: {known})")
    values: dict[str, Any] = {}
    for name, value in data.items():
        expected = hints[name]
        key = f"{prefix}{name}"
        if isinstance(expected, type) and dataclasses.is_dataclass(expected):
            default = getattr(cls(), name)
            merged = {**dataclasses.asdict(default), **value} if isinstance(value, dict) else value
            values[name] = _build(expected, merged, f"{key}.", path)
        else:
            values[name] = _convert(value, expected, key, path)
    return cls(**values)


def _convert(value: Any, expected: Any, key: str, path: Path) -> Any:
    if expected is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{path}: {key}: expected true or false, got {value!r}")
    if expected is int:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        raise ConfigError(f"{path}: {key}: expected a whole number of 0 or more, got {value!r}")
    if expected is float:
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return float(value)
        raise ConfigError(f"{path}: {key}: expected a number of 0 or more, got {value!r}")
    if expected is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{path}: {key}: expected text, got {value!r}")
    item = expected.__args__[0]
    if isinstance(value, list | tuple):
        return tuple(_convert(v, item, f"{key}[{i}]", path) for i, v in enumerate(value))
    raise ConfigError(f"{path}: {key}: expected a list, got {value!r}")


@dataclass(frozen=True)
class Credentials:
    """Each platform's secrets and per-user values, keyed by platform name (each platform's
    own credentials type never shows a secret in its `repr`)."""

    platforms: Mapping[str, Any] = field(default_factory=dict)

    def of(self, name: str) -> Any:
        """The platform's credentials (empty ones when none were read)."""
        from sync.platforms import registry

        found = self.platforms.get(name)
        return found if found is not None else registry.spec(name).empty_credentials()


def app_variable_names() -> tuple[str, ...]:
    """Every application variable the platforms read (all spellings)."""
    from sync.platforms import registry

    return tuple(v for spec in registry.specs() for v in spec.app_variables)


def credentials(
    variables: AppVariables, settings: Settings, environ: Mapping[str, str] | None = None
) -> Credentials:
    """Each platform's credentials from IMatch app variables, then the environment."""
    from sync.platforms import registry

    environ = os.environ if environ is None else environ
    return Credentials(
        {
            spec.name: spec.credentials_from(variables, settings.platform(spec.name), environ)
            for spec in registry.specs()
        }
    )
