"""Mastodon's registry entry: how the core opens, renders, logs in, checks and shows it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sync import checks
from sync.checks import Check
from sync.config import Settings
from sync.platforms.base import Account, Platform
from sync.platforms.mastodon import settings as mastodon_settings
from sync.platforms.mastodon.errors import ERRORS
from sync.platforms.mastodon.limits import default_limits
from sync.platforms.mastodon.settings import MastodonCredentials
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

NAME = mastodon_settings.NAME


def open_mastodon(request: OpenRequest) -> Platform[Any]:
    from sync.platforms.mastodon.connection import open_mastodon as opened
    from sync.platforms.mastodon.settings import MastodonConfigError

    try:
        return opened(request.settings.platform(NAME), request.credentials, request.limiter)
    except MastodonConfigError as error:
        raise SetupError(str(error)) from None


def render(photo: Photo, settings: Settings, credentials: Any) -> Rendered[Any]:
    from sync.platforms.mastodon.render import render_mastodon

    return render_mastodon(photo, settings, credentials)


def size_bound(photo: Photo, settings: Settings) -> PostSize:
    from sync.platforms.mastodon.render import mastodon_size_bound

    return mastodon_size_bound(photo, settings)


class MastodonLoginFlow:
    """Mastodon's login is a check of the access token in mastodon_token."""

    title = "Check the Mastodon token"
    code_prompt = ""

    def __init__(self, settings: Settings, credentials: MastodonCredentials, store: SecretStore):
        self.credentials = credentials

    async def start(self) -> LoginStep:
        from sync.platforms.base import PlatformError, TransientError
        from sync.platforms.mastodon.platform import check_login
        from sync.platforms.mastodon.settings import setup_problem

        problem = setup_problem(self.credentials)
        if problem is not None:
            return LoginStep(problem, ok=False)
        url, token = self.credentials.mastodon_url, self.credentials.mastodon_token
        try:
            account = await check_login(url, token)
        except TransientError as error:
            return LoginStep(f"Could not check the token: {error}", ok=False)
        except (PlatformError, ValueError) as error:
            return LoginStep(str(error), ok=False)
        return LoginStep(
            f"mastodon: the token works for {account.name} ({account.url or url})", ok=True
        )

    async def finish(self, code: str) -> LoginStep:
        return await self.start()


def variable_checks(context: DoctorContext) -> list[Check]:
    from sync.platforms.mastodon.settings import (
        MastodonConfigError,
        checked_base_url,
        visibility_problem,
    )

    creds: MastodonCredentials = context.credentials
    found = []
    name = "variable mastodon_url"
    if not creds.mastodon_url.strip():
        found.append(
            checks.problem(
                name,
                "unset: create the IMatch application variable mastodon_url "
                f"({checks.VARIABLES_MENU}) holding your server's address, e.g. "
                "https://mastodon.social",
            )
        )
    else:
        try:
            checked_base_url(creds.mastodon_url, creds.url_setting)
            found.append(checks.ok(name, creds.mastodon_url))
        except MastodonConfigError as error:
            found.append(checks.problem(name, str(error)))
    found.append(
        checks.secret_variable(
            "mastodon_token",
            ("mastodon_token",),
            context.variables,
            "an access token from your Mastodon server (Preferences > Development > New "
            "application, scopes read and write)",
            context.environ,
        )
    )
    problem = visibility_problem(creds.mastodon_visibility, creds.visibility_setting)
    name = "variable mastodon_visibility"
    if problem is not None:
        found.append(checks.problem(name, problem))
    elif not context.settings.visibility and not context.variables.has("mastodon_visibility"):
        found.append(checks.ok(name, "unset: posts are public"))
    else:
        found.append(checks.ok(name, creds.mastodon_visibility))
    return found


def login_ok_text(account: Account, credentials: Any) -> str:
    return f"the token works for {account.name} at {credentials.mastodon_url}"


def detail_fields(post: Any, photo: Photo) -> list[tuple[str, str]]:
    from sync.platforms.mastodon.detail import detail_fields as rows

    return [row for row in rows(post) if row[0] != "File"]  # the pane shows the file itself


SPEC = PlatformSpec(
    name=NAME,
    attribute_fields=(
        AttributeField("posted", "Date", False),
        AttributeField("media_id", "Text", True),
        AttributeField("status_id", "Text", True),
        AttributeField("url", "Hyperlink", True),
    ),
    record_keys=mastodon_settings.RECORD_KEYS,
    app_variables=mastodon_settings.APP_VARIABLE_NAMES,
    default_settings=mastodon_settings.default_settings,
    default_limits=default_limits,
    credentials_from=mastodon_settings.credentials_from,
    empty_credentials=MastodonCredentials,
    has_credentials=lambda credentials: bool(credentials.complete),
    open=open_mastodon,
    render=render,
    size_bound=size_bound,
    login=MastodonLoginFlow,
    detail_fields=detail_fields,
    variable_checks=variable_checks,
    login_ok_text=login_ok_text,
    error_names=ERRORS,
    listed_without_credentials=False,
    login_help="check the token",
    simulator="sandbox.mastodon_server",
)
