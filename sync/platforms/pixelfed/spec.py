"""pixelfed's registry entry: how the core opens, renders, logs in, checks and shows it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sync import checks
from sync.checks import Check
from sync.config import Settings
from sync.platforms.base import Account, Platform
from sync.platforms.pixelfed import settings as pixelfed_settings
from sync.platforms.pixelfed.errors import ERRORS
from sync.platforms.pixelfed.limits import default_limits
from sync.platforms.pixelfed.settings import PixelfedCredentials
from sync.platforms.registry import (
    AttributeField,
    DoctorContext,
    LoginStep,
    OpenRequest,
    PlatformSpec,
    SetupError,
)

if TYPE_CHECKING:
    from sync.photo import Photo
    from sync.rendering import PostSize, Rendered
    from sync.secret_store import SecretStore

NAME = pixelfed_settings.NAME


def open_pixelfed(request: OpenRequest) -> Platform[Any]:
    from sync.platforms.pixelfed.platform import VISIBILITIES, PixelfedPlatform
    from sync.platforms.pixelfed.settings import checked_base_url

    credentials: PixelfedCredentials = request.credentials
    if not credentials.pixelfed_url:
        raise SetupError(
            "pixelfed needs your instance's address: set the IMatch application variable "
            "pixelfed_url (e.g. https://pixelfed.social)"
        )
    if not credentials.pixelfed_token:
        raise SetupError(
            "pixelfed needs a personal access token: set the IMatch application variable "
            "pixelfed_token"
        )
    if credentials.pixelfed_visibility not in VISIBILITIES:
        raise SetupError(
            f"{credentials.visibility_setting} is {credentials.pixelfed_visibility!r}: use "
            "public, unlisted or private (pixelfed has no direct posts)"
        )
    try:
        checked_base_url(credentials.pixelfed_url, credentials.url_setting)
        return PixelfedPlatform(
            credentials.pixelfed_url, credentials.pixelfed_token, limiter=request.limiter
        )
    except ValueError as error:
        raise SetupError(str(error)) from None


def render(photo: Photo, settings: Settings, credentials: Any) -> Rendered[Any]:
    from sync.platforms.pixelfed.render import render_pixelfed

    return render_pixelfed(photo, settings, credentials)


def size_bound(photo: Photo, settings: Settings) -> PostSize:
    from sync.platforms.pixelfed.render import pixelfed_size_bound

    return pixelfed_size_bound(photo, settings)


class PixelfedLoginFlow:
    """pixelfed's login is a check of the personal access token in pixelfed_token."""

    title = "Check the pixelfed token"
    code_prompt = ""

    def __init__(self, settings: Settings, credentials: PixelfedCredentials, store: SecretStore):
        self.credentials = credentials

    async def start(self) -> LoginStep:
        from sync.platforms.base import PlatformError, TransientError
        from sync.platforms.pixelfed.platform import check_login

        url, token = self.credentials.pixelfed_url, self.credentials.pixelfed_token
        try:
            account = await check_login(url, token)
        except TransientError as error:
            return LoginStep(f"Could not check the token: {error}", ok=False)
        except (PlatformError, ValueError) as error:
            text = str(error)
            if "refused the token" not in text:
                text = f"pixelfed refused the token: {text}"
            return LoginStep(text, ok=False)
        return LoginStep(
            f"pixelfed: the token works for {account.name} ({account.url or url})", ok=True
        )

    async def finish(self, code: str) -> LoginStep:
        return await self.start()


def variable_checks(context: DoctorContext) -> list[Check]:
    return [
        _url(context),
        checks.secret_variable(
            "pixelfed_token",
            ("pixelfed_token",),
            context.variables,
            "a personal access token from your pixelfed instance (scopes read and write)",
            context.environ,
        ),
        _visibility(context),
    ]


def _url(context: DoctorContext) -> Check:
    from sync.platforms.pixelfed.settings import PixelfedConfigError, checked_base_url

    creds: PixelfedCredentials = context.credentials
    name = "variable pixelfed_url"
    source = "" if creds.url_setting == "pixelfed_url" else f" ({creds.url_setting})"
    if not creds.pixelfed_url:
        return checks.problem(
            name,
            "unset: create the IMatch application variable pixelfed_url "
            f"({checks.VARIABLES_MENU}) holding your instance's address, e.g. "
            "https://pixelfed.social",
        )
    try:
        checked_base_url(creds.pixelfed_url, creds.url_setting)
    except PixelfedConfigError as error:
        return checks.problem(name, str(error))
    return checks.ok(name, f"{creds.pixelfed_url}{source}")


def _visibility(context: DoctorContext) -> Check:
    from sync.platforms.pixelfed.platform import VISIBILITIES

    creds: PixelfedCredentials = context.credentials
    name = "variable pixelfed_visibility"
    if creds.pixelfed_visibility not in VISIBILITIES:
        return checks.problem(
            name,
            f"{creds.pixelfed_visibility!r} is not a pixelfed visibility: use "
            f"{', '.join(VISIBILITIES)} (pixelfed has no direct posts)",
        )
    if context.settings.visibility:
        return checks.ok(name, f"{creds.pixelfed_visibility} (config.toml [pixelfed] visibility)")
    if not context.variables.has("pixelfed_visibility"):
        return checks.ok(name, "unset: posts are public")
    return checks.ok(name, creds.pixelfed_visibility)


def auth_advice(message: str) -> str:
    if "refused the token" in message:
        return (
            "pixelfed refused the token in pixelfed_token: create a new personal access "
            "token in pixelfed (Settings > Applications, scopes read and write), put it in "
            "the IMatch application variable pixelfed_token, then run "
            "`imatch-socials login pixelfed`"
        )
    return message


def login_ok_text(account: Account, credentials: Any) -> str:
    return f"the token works for {account.name} at {credentials.pixelfed_url}"


def detail_fields(post: Any, photo: Photo) -> list[tuple[str, str]]:
    hashtags = [word for word in post.caption.split() if word.startswith("#")]
    return [
        ("Caption", post.caption),
        ("Hashtags", " ".join(hashtags)),
        ("Alt text", post.alt_text),
        ("Visibility", post.visibility),
    ]


SPEC = PlatformSpec(
    name=NAME,
    attribute_fields=(
        AttributeField("posted", "Date", False),
        AttributeField("media_id", "Text", True),
        AttributeField("status_id", "Text", True),
        AttributeField("url", "Hyperlink", True),
    ),
    record_keys=pixelfed_settings.RECORD_KEYS,
    app_variables=pixelfed_settings.APP_VARIABLE_NAMES,
    default_settings=pixelfed_settings.default_settings,
    default_limits=default_limits,
    credentials_from=pixelfed_settings.credentials_from,
    empty_credentials=PixelfedCredentials,
    has_credentials=lambda credentials: bool(credentials.complete),
    open=open_pixelfed,
    render=render,
    size_bound=size_bound,
    login=PixelfedLoginFlow,
    detail_fields=detail_fields,
    variable_checks=variable_checks,
    login_ok_text=login_ok_text,
    auth_advice=auth_advice,
    error_names=ERRORS,
    login_help="check the token",
    simulator="sandbox.pixelfed_server",
)
