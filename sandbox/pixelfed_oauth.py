"""pixelfed's OAuth endpoints (Laravel Passport, reference platform-apis.md C1): app
registration, the authorization code (approved at once for the signed-in account, or
shown on a page for the out-of-band redirect) and the token grant with refresh tokens.

The Mastodon simulator has none of this: its users make an access token in their
settings, which `MastodonSimulator.create_token` stands for.
"""

from __future__ import annotations

import itertools
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from sandbox.mastodon_api.answers import ApiAnswer, base_url
from sandbox.mastodon_api.requests import digest
from sandbox.mastodon_api.server import RouteSpec
from sandbox.pixelfed_errors import Abort
from sandbox.pixelfed_requests import Validator
from sandbox.pixelfed_state import (
    DAY,
    DEFAULT_SCOPES,
    KNOWN_SCOPES,
    OOB_REDIRECT,
    AuthCode,
    OAuthApp,
    RefreshToken,
)

if TYPE_CHECKING:
    from sandbox.pixelfed_server import PixelfedSimulator

INVALID_GRANT = (
    "The provided authorization grant (e.g., authorization code, resource owner "
    "credentials) or refresh token is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client."
)


class PixelfedOAuth:
    """The OAuth endpoints of one pixelfed simulator."""

    def __init__(self, sim: PixelfedSimulator) -> None:
        self.sim = sim
        self._app_ids = itertools.count(1)

    def routes(self) -> list[RouteSpec]:
        return [
            ("/api/v1/apps", "POST", self.register_app),
            ("/oauth/authorize", "GET", self.authorize),
            ("/oauth/token", "POST", self.issue_token),
        ]

    def register_app(self, request: Request, params: dict[str, Any]) -> Response:
        if not self.sim.settings.oauth_enabled:
            raise Abort(404)
        check = Validator(params)
        check.required("client_name")
        check.string("client_name", 255)
        check.required("redirect_uris")
        uris = str(params.get("redirect_uris") or "").split()
        if uris and not all(self._redirect_allowed(uri) for uri in uris):
            check.fail("redirect_uris", "One or more redirects have an invalid url format.")
        check.check()
        app = OAuthApp(
            client_id=str(next(self._app_ids)),
            name=str(params["client_name"]),
            redirect_uris=uris,
            client_secret=secrets.token_urlsafe(30),
        )
        self.sim.state.apps[app.client_id] = app
        return JSONResponse(
            {
                "id": app.client_id,
                "name": app.name,
                "website": None,
                "redirect_uri": "\n".join(uris),
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "vapid_key": None,
            }
        )

    def _redirect_allowed(self, uri: str) -> bool:
        if uri == OOB_REDIRECT:
            return self.sim.settings.oob_supported
        scheme, sep, rest = uri.partition("://")
        return bool(sep and rest and scheme.isascii() and scheme[:1].isalpha())

    def authorize(self, request: Request, params: dict[str, Any]) -> Response:
        app = self.sim.state.apps.get(str(params.get("client_id", "")))
        redirect_uri = str(params.get("redirect_uri", ""))
        if app is None or redirect_uri not in app.redirect_uris:
            raise ApiAnswer(401, _oauth_error("invalid_client", "Client authentication failed"))
        state = params.get("state")
        scopes = frozenset(str(params.get("scope") or " ".join(DEFAULT_SCOPES)).split())
        if params.get("response_type") != "code":
            return _redirect_with(redirect_uri, error="unsupported_response_type", state=state)
        if not scopes <= KNOWN_SCOPES:
            return _redirect_with(redirect_uri, error="invalid_scope", state=state)
        account_id = self.sim.signed_in_account_id or next(iter(self.sim.state.accounts), None)
        if account_id is None:
            return RedirectResponse(f"{base_url(request)}/login", 302)
        if not self.sim.settings.oauth_auto_approve:
            return _redirect_with(redirect_uri, error="access_denied", state=state)
        code = secrets.token_urlsafe(32)
        self.sim.state.auth_codes[digest(code)] = AuthCode(
            client_id=app.client_id,
            account_id=account_id,
            redirect_uri=redirect_uri,
            scopes=scopes,
            expires_at=self.sim.now() + self.sim.settings.auth_code_seconds,
        )
        if redirect_uri == OOB_REDIRECT:
            return HTMLResponse(f"<html><body><p>Authorization code:</p><code>{code}</code>")
        return _redirect_with(redirect_uri, code=code, state=state)

    def issue_token(self, request: Request, params: dict[str, Any]) -> Response:
        app = self.sim.state.apps.get(str(params.get("client_id", "")))
        secret = str(params.get("client_secret", ""))
        if app is None or not secrets.compare_digest(secret, app.client_secret):
            raise ApiAnswer(401, _oauth_error("invalid_client", "Client authentication failed"))
        grant_type = params.get("grant_type")
        if grant_type == "authorization_code":
            account_id, scopes = self._redeem_code(app, params)
        elif grant_type == "refresh_token":
            account_id, scopes = self._redeem_refresh_token(app, params)
        else:
            raise ApiAnswer(
                400,
                _oauth_error(
                    "unsupported_grant_type",
                    "The authorization grant type is not supported by the authorization server.",
                ),
            )
        lifetime = self.sim.settings.token_days * DAY
        access, record = self.sim.issue_access_token(account_id, scopes, lifetime, app.client_id)
        refresh = secrets.token_urlsafe(200)
        self.sim.state.refresh_tokens[digest(refresh)] = RefreshToken(
            digest=digest(refresh),
            access_digest=record.digest,
            client_id=app.client_id,
            expires_at=self.sim.now() + self.sim.settings.refresh_token_days * DAY,
        )
        self.sim.after_mutation(request)
        return JSONResponse(
            {
                "token_type": "Bearer",
                "expires_in": int(lifetime),
                "access_token": access,
                "refresh_token": refresh,
            }
        )

    def _redeem_code(self, app: OAuthApp, params: dict[str, Any]) -> tuple[str, frozenset[str]]:
        grant = self.sim.state.auth_codes.get(digest(str(params.get("code", ""))))
        if (
            grant is None
            or grant.used
            or grant.expires_at <= self.sim.now()
            or grant.client_id != app.client_id
            or grant.redirect_uri != params.get("redirect_uri")
        ):
            raise ApiAnswer(400, _oauth_error("invalid_grant", INVALID_GRANT))
        grant.used = True
        return grant.account_id, grant.scopes

    def _redeem_refresh_token(
        self, app: OAuthApp, params: dict[str, Any]
    ) -> tuple[str, frozenset[str]]:
        old = self.sim.state.refresh_tokens.get(digest(str(params.get("refresh_token", ""))))
        if (
            old is None
            or old.revoked
            or old.expires_at <= self.sim.now()
            or old.client_id != (app.client_id)
        ):
            raise ApiAnswer(400, _oauth_error("invalid_grant", INVALID_GRANT))
        old.revoked = True
        access = self.sim.state.tokens[old.access_digest]
        access.revoked = True
        return access.account_id, access.scopes


def _oauth_error(error: str, description: str) -> dict[str, str]:
    return {"error": error, "error_description": description, "message": description}


def _redirect_with(uri: str, **query: Any) -> RedirectResponse:
    pairs = {k: v for k, v in query.items() if v is not None}
    separator = "&" if "?" in uri else "?"
    return RedirectResponse(f"{uri}{separator}{urlencode(pairs)}", 302)
