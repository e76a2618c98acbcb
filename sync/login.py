"""`imatch-socials login flickr|pixelfed`: log in to flickr, or check the pixelfed token.

Credentials are read as the sync reads them (IMatch application variables, environment);
the flickr token is stored in the state folder with mode 0600.
"""

from __future__ import annotations

import asyncio
import sys

from imatch.client import IMatchClient
from sync.config import APP_VARIABLE_NAMES, Credentials, Settings, credentials, load_settings
from sync.connect import flickr_endpoints
from sync.platforms.base import PlatformError
from sync.platforms.flickr.login import FlickrLogin, save_token
from sync.platforms.pixelfed.platform import check_login
from sync.secret_store import SecretStore


async def _credentials(settings: Settings) -> Credentials:
    imatch = settings.imatch
    async with IMatchClient(imatch.url, user=imatch.user or None, timeout=imatch.timeout) as c:
        return credentials(await c.app_variables(APP_VARIABLE_NAMES), settings)


def run_login(platform: str) -> int:
    settings = load_settings()
    creds = asyncio.run(_credentials(settings))
    try:
        if platform == "flickr":
            return _login_flickr(settings, creds)
        account = asyncio.run(check_login(creds.pixelfed_url, creds.pixelfed_token))
    except (PlatformError, ValueError) as error:
        print(f"imatch-socials: {platform}: {error}", file=sys.stderr)
        return 2
    print(f"pixelfed: the token works for {account.name} ({account.url or creds.pixelfed_url})")
    return 0


def _login_flickr(settings: Settings, creds: Credentials) -> int:
    if not creds.flickr_api_key or not creds.flickr_api_secret:
        print(
            "imatch-socials: flickr: set the IMatch application variables flickr_api_key "
            "and flickr_api_secret first",
            file=sys.stderr,
        )
        return 2
    login = FlickrLogin(creds.flickr_api_key, creds.flickr_api_secret, flickr_endpoints(settings))
    url = login.start()
    print("Open this address in a browser, approve imatch-socials, then type the code shown:")
    print(url)
    try:
        code = input("Code: ").strip()
    except EOFError:
        code = ""
    token = login.finish(code)
    save_token(SecretStore(), creds.flickr_api_key, token)
    print(f"flickr: logged in as {token.username} with {token.perms} permission")
    return 0
