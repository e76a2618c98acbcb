"""flickr's registry entry: how the core opens, renders, logs in, checks and shows it.

Nothing at import time touches flickrapi: each callable imports the adapter, the API
wrapper or the login when it is first called.
"""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

from sync import checks
from sync.checks import Check
from sync.config import Settings
from sync.platforms.base import Account, Platform, checked_server_url
from sync.platforms.flickr import settings as flickr_settings
from sync.platforms.flickr.errors import ERRORS
from sync.platforms.flickr.limits import default_limits
from sync.platforms.flickr.settings import FlickrCredentials
from sync.platforms.registry import (
    AttributeField,
    DoctorContext,
    LoginStep,
    OpenRequest,
    PlatformSpec,
    SetupError,
)

if TYPE_CHECKING:
    from imatch.client import IMatchClient
    from sync.photo import Photo
    from sync.platforms.flickr.api import FlickrEndpoints
    from sync.platforms.flickr.login import FlickrLogin
    from sync.rendering import PostSize, Rendered
    from sync.secret_store import SecretStore

NAME = flickr_settings.NAME
_ALBUM_ID = re.compile(r"^\d+$")
_GROUP_ID = re.compile(r"^\d+@N\d+$")
_FLAGS = ("flickr_is_public", "flickr_is_friend", "flickr_is_family")


def endpoints(settings: Settings) -> FlickrEndpoints:
    """flickr's addresses, or the simulator's when `[flickr] url` is set (for testing)."""
    from sync.platforms.flickr.api import FlickrEndpoints

    url = settings.platform(NAME).url.strip()
    if not url:
        return FlickrEndpoints()
    try:
        base = checked_server_url(
            url,
            "config.toml [flickr] url",
            "a simulator's http:// address with its port, e.g. http://127.0.0.1:8001 "
            "(for flickr itself, remove the setting)",
        )
    except ValueError as error:
        raise SetupError(str(error)) from None
    return FlickrEndpoints.for_base(base)


def _missing_key() -> str:
    return (
        "flickr needs an API key and secret: set the IMatch application variables "
        "flickr_api_key and flickr_api_secret"
    )


def open_flickr(request: OpenRequest) -> Platform[Any]:
    from sync.platforms.flickr.login import load_token
    from sync.platforms.flickr.platform import FlickrPlatform

    credentials: FlickrCredentials = request.credentials
    if not credentials.complete:
        raise SetupError(_missing_key())
    token = load_token(request.store, credentials.flickr_api_key)
    if token is None:
        raise SetupError("not logged in to flickr: run `imatch-socials login flickr`")
    photostream = credentials.flickr_url.strip()
    if photostream and not photostream.lower().startswith(("https://", "http://")):
        raise SetupError(
            f"flickr_url is {photostream!r}: set the IMatch application variable to your "
            "photostream's address, e.g. https://www.flickr.com/photos/yourname, or clear it"
        )
    own = request.settings.platform(NAME)
    return FlickrPlatform(
        credentials.flickr_api_key,
        credentials.flickr_api_secret,
        token,
        endpoints=endpoints(request.settings),
        limiter=request.limiter,
        formats=frozenset(f.upper() for f in own.formats),
        photostream_url=photostream,
    )


def render(photo: Photo, settings: Settings, credentials: Any) -> Rendered[Any]:
    from sync.platforms.flickr.render import render_flickr

    return render_flickr(photo, settings, credentials)


def size_bound(photo: Photo, settings: Settings) -> PostSize:
    from sync.platforms.flickr.render import flickr_size_bound

    return flickr_size_bound(photo, settings)


class FlickrLoginFlow:
    """flickr's out-of-band OAuth: an address to approve, then the code flickr shows."""

    title = "Log in to flickr"
    code_prompt = "Code shown by flickr, like 123-456-789"

    def __init__(self, settings: Settings, credentials: FlickrCredentials, store: SecretStore):
        self.settings = settings
        self.credentials = credentials
        self.store = store
        self._login: FlickrLogin | None = None

    async def start(self) -> LoginStep:
        from sync.platforms.base import PlatformError
        from sync.platforms.flickr.login import FlickrLogin

        if not self.credentials.complete:
            return LoginStep(
                "flickr needs an API key and secret first: set the IMatch application "
                "variables flickr_api_key and flickr_api_secret",
                ok=False,
            )
        key, secret = self.credentials.flickr_api_key, self.credentials.flickr_api_secret
        try:
            login = await asyncio.to_thread(FlickrLogin, key, secret, endpoints(self.settings))
            url = await asyncio.to_thread(login.start)
        except (PlatformError, SetupError) as error:
            return LoginStep(f"{error}", ok=False)
        self._login = login
        return LoginStep(
            "1. Open this address in a browser and approve imatch-socials.\n"
            "2. Type the code flickr shows below and press enter.",
            url=url,
        )

    async def finish(self, code: str) -> LoginStep:
        from sync.platforms.base import PlatformError
        from sync.platforms.flickr.login import save_token

        if self._login is None:
            return LoginStep("the flickr login was not started: start it again", ok=False)
        try:
            token = await asyncio.to_thread(self._login.finish, code)
        except PlatformError as error:
            return LoginStep(f"{error}", ok=False)
        save_token(self.store, self.credentials.flickr_api_key, token)
        return LoginStep(
            f"flickr: logged in as {token.username} with {token.perms} permission", ok=True
        )


def variable_checks(context: DoctorContext) -> list[Check]:
    variables, creds = context.variables, context.credentials
    found = [
        checks.secret_variable(
            "flickr_api_key",
            ("flickr_api_key", "flickr_apikey"),
            variables,
            "your flickr API key",
            context.environ,
        ),
        checks.secret_variable(
            "flickr_api_secret",
            ("flickr_api_secret", "flickr_apisecret"),
            variables,
            "your flickr API secret",
            context.environ,
        ),
    ]
    odd = [
        f
        for f in _FLAGS
        if variables.has(f)
        and variables.text(f).lower() not in ("0", "1", "true", "false", "yes", "no", "on", "off")
    ]
    shown = ", ".join(f"{f} {1 if variables.flag(f) else 0}" for f in _FLAGS)
    audience = "public" if creds.flickr_is_public else "private"
    if odd:
        found.append(
            checks.warning(
                "variables flickr_is_*",
                f"{', '.join(f'{f} is {variables.text(f)!r}' for f in odd)}: use 1 "
                "(set) or 0 (unset); read as 0",
            )
        )
    else:
        found.append(
            checks.ok("variables flickr_is_*", f"{shown} (new photos are {audience}; unset is 0)")
        )
    return found


async def category_checks(client: IMatchClient, root: str, settings: Settings) -> list[Check]:
    """The optional `albums|` and `groups|` categories and the ids in their descriptions."""
    names = settings.categories
    return [
        *await _sets(client, root, names.albums, "album"),
        *await _sets(client, root, names.groups, "group"),
    ]


async def _sets(client: IMatchClient, root: str, child_name: str, kind: str) -> list[Check]:
    path = f"{root}|{child_name}"
    parent = await client.category(path, ("path", "name", "description", "children"))
    if parent is None:
        return [
            checks.ok(
                path,
                f"absent (optional): create it, with one child per flickr {kind} whose "
                f"description holds the {kind} id, to add photos to {kind}s",
            )
        ]
    if not parent.children:
        return [checks.ok(path, f"exists, no {kind}s yet")]
    pattern, example = (
        (_ALBUM_ID, "72177720316352529") if kind == "album" else (_GROUP_ID, "12345678@N00")
    )
    where = (
        "the number in the album's address, e.g." if kind == "album" else "the group's NSID, e.g."
    )
    from sync.visible_text import first_line

    found = []
    for child in parent.children:
        child_path = child.path or f"{path}|{child.name}"
        remote_id = first_line(child.description)
        if not remote_id:
            found.append(
                checks.warning(
                    child_path,
                    f"no flickr {kind} id: put the {kind} id ({where} {example}) on the "
                    "first line of the category's description",
                )
            )
        elif not pattern.match(remote_id):
            found.append(
                checks.warning(
                    child_path,
                    f"the description starts with {remote_id!r}, which is not a flickr "
                    f"{kind} id: put the {kind} id ({where} {example}) on its first line",
                )
            )
        else:
            found.append(checks.ok(child_path, f"flickr {kind} {remote_id}"))
    return found


def auth_advice(message: str) -> str:
    if "login flickr" in message:
        return message
    return (
        f"{message}: check flickr_api_key and flickr_api_secret, then run "
        "`imatch-socials login flickr`"
    )


def login_ok_text(account: Account, credentials: Any) -> str:
    return f"logged in as {account.name} with delete permission"


def _privacy(post: Any) -> str:
    if post.is_public:
        return "public"
    seen_by = [who for who, on in (("friends", post.is_friend), ("family", post.is_family)) if on]
    return "private, visible to " + " and ".join(seen_by) if seen_by else "private"


def _named(ids: tuple[str, ...], names: dict[str, str]) -> str:
    return "\n".join(f"{names[i]}  ({i})" if i in names else i for i in ids)


def _album_and_group_names(photo: Photo) -> dict[str, str]:
    """Remote id -> IMatch category name, from the photo's `albums|`/`groups|` categories."""
    names: dict[str, str] = {}
    for path, description in photo.categories.items():
        first = next((ln.strip() for ln in description.splitlines() if ln.strip()), "")
        if first and ("|albums|" in path or "|groups|" in path):
            names[first] = path.rsplit("|", 1)[-1]
    return names


def detail_fields(post: Any, photo: Photo) -> list[tuple[str, str]]:
    names = _album_and_group_names(photo)
    taken = post.date_taken.strftime("%Y-%m-%d %H:%M:%S") if post.date_taken else ""
    if taken and post.date_granularity == 8:
        taken += " (circa)"
    return [
        ("Title", post.title),
        ("Description", post.description),
        ("Tags", ", ".join(post.tags)),
        ("Date taken", taken),
        ("Albums", _named(post.albums, names)),
        ("Groups", _named(post.groups, names)),
        ("Privacy", _privacy(post)),
    ]


SPEC = PlatformSpec(
    name=NAME,
    attribute_fields=(
        AttributeField("posted", "Date", False),
        AttributeField("photo_id", "Text", True),
        AttributeField("url", "Hyperlink", True),
    ),
    record_keys=flickr_settings.RECORD_KEYS,
    app_variables=flickr_settings.APP_VARIABLE_NAMES,
    default_settings=flickr_settings.default_settings,
    default_limits=default_limits,
    credentials_from=flickr_settings.credentials_from,
    empty_credentials=FlickrCredentials,
    has_credentials=lambda credentials: bool(credentials.complete),
    open=open_flickr,
    render=render,
    size_bound=size_bound,
    login=FlickrLoginFlow,
    detail_fields=detail_fields,
    variable_checks=variable_checks,
    category_checks=category_checks,
    login_ok_text=login_ok_text,
    auth_advice=auth_advice,
    error_names=ERRORS,
    login_help="log in (an address to approve, then a code)",
    stores_login=True,
    simulator="sandbox.flickr_server",
)
