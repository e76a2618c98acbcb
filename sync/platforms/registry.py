"""The platform registry: one `PlatformSpec` per platform, registered by name.

The core (configuration, connecting, planning, doctor, login, report, session) and the
TUI loop over `specs()` and never name a platform. A spec holds plain values and
callables; a callable that needs a heavy module (flickrapi) imports it when called, so
registering a platform costs no start-up time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from imatch.client import IMatchClient
    from imatch.models import AppVariables
    from sync.checks import Check
    from sync.config import PlatformSettings, Settings
    from sync.error_names import NamedError
    from sync.photo import Photo
    from sync.platforms.base import Account, Limits, Platform, RateLimiter
    from sync.rendering import PostSize, Rendered
    from sync.secret_store import SecretStore


class SetupError(Exception):
    """Something the user must set up before this platform can run (says what)."""


@dataclass(frozen=True)
class AttributeField:
    """One attribute of the platform's IMatch attribute set (checked by the doctor)."""

    name: str
    imatch_type: str
    """IMatch's type name: Date, Text, Hyperlink."""
    unique: bool


@dataclass(frozen=True)
class LoginStep:
    """What a login step says: `url` to approve (then a code is asked), or the outcome."""

    text: str
    url: str = ""
    ok: bool | None = None
    """True: the platform can be used now; False: it failed (text says why); None: go on."""


class LoginFlow(Protocol):
    """A login both front ends drive: `start()`, then `finish(code)` when it asks a code.

    A token check finishes in `start()` (ok True or False); an out-of-band OAuth login
    answers `start()` with the address to approve, and `finish` takes the verifier code."""

    title: str
    code_prompt: str
    """What the code looks like (placeholder text); empty when no code is asked."""

    async def start(self) -> LoginStep: ...

    async def finish(self, code: str) -> LoginStep: ...


@dataclass(frozen=True)
class OpenRequest:
    """What opening an adapter needs: its settings, its credentials, the secret store."""

    settings: Settings
    credentials: Any
    store: SecretStore
    limiter: RateLimiter


@dataclass(frozen=True)
class DoctorContext:
    """What the doctor hands a platform's own checks."""

    variables: AppVariables
    credentials: Any
    settings: PlatformSettings
    environ: Mapping[str, str]


@dataclass(frozen=True)
class PlatformSpec:
    """Everything the core and the TUI need to know about one platform."""

    name: str
    attribute_fields: tuple[AttributeField, ...]
    record_keys: tuple[str, ...]
    """Attribute names that identify a post; a record without them is incomplete."""
    app_variables: tuple[str, ...]
    """IMatch application variables read for it (all spellings)."""
    default_settings: Callable[[], PlatformSettings]
    default_limits: Callable[[], Limits]
    credentials_from: Callable[[AppVariables, PlatformSettings, Mapping[str, str]], Any]
    empty_credentials: Callable[[], Any]
    has_credentials: Callable[[Any], bool]
    """The credentials exist (the platform is set up enough to be tried)."""
    open: Callable[[OpenRequest], Platform[Any]]
    """The adapter, not yet connected; raises SetupError naming what to set up."""
    render: Callable[[Photo, Settings, Any], Rendered[Any]]
    login: Callable[[Settings, Any, SecretStore], LoginFlow]
    detail_fields: Callable[[Any, Photo], list[tuple[str, str]]]
    """The rendered post (and its photo) as plain (label, value) rows for the detail pane."""
    variable_checks: Callable[[DoctorContext], list[Check]]
    category_checks: Callable[[IMatchClient, str, Settings], Awaitable[list[Check]]] | None = None
    """Extra doctor checks under `Socials|<name>` (flickr's albums and groups)."""
    size_bound: Callable[[Photo, Settings], PostSize] | None = None
    """At least every measure `render` gives, found without rendering: a photo whose
    bound is within the limits is planned without being rendered (None: every photo is)."""
    login_ok_text: Callable[[Account, Any], str] = lambda account, _: f"logged in as {account.name}"
    auth_advice: Callable[[str], str] = lambda message: message
    """The login's refusal, with the way out when it does not say it already."""
    error_names: tuple[NamedError, ...] = ()
    """Every error name only this platform gives a photo, with its fix text and
    permanence (names any platform can give are the core's, in `sync.error_names`)."""
    stores_login: bool = False
    """Its login leaves a token in the state folder (the doctor says so)."""
    listed_without_credentials: bool = True
    """False: the platform takes part only once its credentials exist."""
    login_help: str = ""
    """What `login <name>` does for it (e.g. "check the token")."""
    simulator: str = ""
    """The sandbox module that simulates it."""


_REGISTRY: dict[str, PlatformSpec] = {}


def register(spec: PlatformSpec) -> None:
    """Make a platform known (once per name)."""
    if spec.name in _REGISTRY and _REGISTRY[spec.name] is not spec:
        raise ValueError(f"platform {spec.name!r} is registered twice")
    _REGISTRY[spec.name] = spec


def _loaded() -> dict[str, PlatformSpec]:
    import sync.platforms.installed  # noqa: F401  (its import registers the platforms)

    return _REGISTRY


def specs() -> tuple[PlatformSpec, ...]:
    """Every registered platform, in registration order."""
    return tuple(_loaded().values())


def names() -> tuple[str, ...]:
    return tuple(_loaded())


def spec(name: str) -> PlatformSpec:
    """The platform's spec; KeyError for an unknown name."""
    return _loaded()[name]


def listed(choices: Sequence[str]) -> str:
    """`a, b or c` for messages."""
    items = list(choices)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"
