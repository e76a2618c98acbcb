"""`imatch-socials login flickr`: the out-of-band OAuth 1.0a login and the token file.

The request token and the requested permission live only inside one FlickrAPI object
(reference A4), so `FlickrLogin.start()` and `FlickrLogin.finish()` must be called on the
same instance; a restart in between means starting over. The calls block on the network
(seconds at most, bounded by `timeout`): run them in a worker thread from async code.
The token is stored by `SecretStore` (mode 0600) together with the API key it belongs to.
"""

from __future__ import annotations

from typing import Any

from sync.platforms.base import AuthError, PlatformError
from sync.platforms.flickr.api import (
    DEFAULT_TIMEOUT,
    KEY_REFUSED,
    FlickrCodeError,
    FlickrEndpoints,
    FlickrToken,
    SecretScrubber,
    classify,
    http_status,
    new_flickrapi,
)
from sync.secret_store import SecretStore

TOKEN_NAME = "flickr-token"
REQUESTED_PERMS = "delete"
VERIFIER_REFUSED = "flickr refused the verification code: start the login again"


class FlickrLogin:
    """One login attempt: `url = start()`, the user approves, `token = finish(code)`."""

    def __init__(
        self,
        api_key: str,
        api_secret: str,
        endpoints: FlickrEndpoints | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self._api = new_flickrapi(api_key, api_secret, endpoints or FlickrEndpoints(), timeout)
        self._scrub = SecretScrubber([api_secret])
        self._started = False

    def _fail(self, error: Exception, step: str, refused: str) -> PlatformError:
        from flickrapi.exceptions import FlickrError

        if isinstance(error, FlickrError) and http_status(error) in (400, 401):
            return AuthError(refused)
        mapped = classify(error, method=step, write=False, scrub=self._scrub)
        if isinstance(mapped, FlickrCodeError):
            return AuthError(f"flickr refused the login ({mapped.detail})")
        return mapped

    def start(self) -> str:
        """Ask flickr for a request token; the URL to open in a browser (delete access)."""
        try:
            self._api.get_request_token(oauth_callback="oob")
            url = str(self._api.auth_url(perms=REQUESTED_PERMS))
        except Exception as error:
            raise self._fail(error, "request token", KEY_REFUSED) from None
        self._started = True
        return url

    def finish(self, verifier: str) -> FlickrToken:
        """Exchange the code flickr showed (like 123-456-789) for an access token."""
        if not self._started:
            raise AuthError("the flickr login was not started: start it again")
        code = str(verifier).strip()
        if not code:
            raise AuthError("no verification code given")
        try:
            self._api.get_access_token(code)
        except Exception as error:
            raise self._fail(error, "access token", VERIFIER_REFUSED) from None
        access = self._api.token_cache.token
        self._started = False
        return FlickrToken(
            token=str(access.token),
            secret=str(access.token_secret),
            perms=self._granted_perms(str(access.access_level)),
            user_nsid=str(access.user_nsid),
            username=str(access.username),
            fullname=str(access.fullname),
        )

    def _granted_perms(self, requested: str) -> str:
        """What flickr says the new token may do; flickrapi only records what we asked."""
        from flickrapi.exceptions import FlickrError

        try:
            answer: Any = self._api.auth.oauth.checkToken(format="etree")
        except (FlickrError, OSError, ValueError):
            return requested
        return str(answer.findtext("oauth/perms") or requested)


def save_token(store: SecretStore, api_key: str, token: FlickrToken) -> None:
    """Write the token (mode 0600) with the API key it was issued for."""
    store.save(
        TOKEN_NAME,
        {
            "api_key": api_key,
            "token": token.token,
            "secret": token.secret,
            "perms": token.perms,
            "user_nsid": token.user_nsid,
            "username": token.username,
            "fullname": token.fullname,
        },
    )


def load_token(store: SecretStore, api_key: str) -> FlickrToken | None:
    """The saved token for this API key; None when missing, damaged or for another key."""
    data = store.load(TOKEN_NAME)
    if not data or data.get("api_key") != api_key:
        return None
    try:
        values = {name: data[name] for name in ("token", "secret", "perms", "user_nsid")}
    except KeyError:
        return None
    if not all(isinstance(v, str) and v for v in values.values()):
        return None
    return FlickrToken(
        token=values["token"],
        secret=values["secret"],
        perms=values["perms"],
        user_nsid=values["user_nsid"],
        username=str(data.get("username", "")),
        fullname=str(data.get("fullname", "")),
    )
