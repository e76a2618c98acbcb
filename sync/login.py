"""`imatch-socials login <platform>`: the platform's login flow, driven from the terminal.

Credentials are read as the sync reads them (IMatch application variables, environment).
Each platform's flow comes from the registry: a token check answers at once; an
out-of-band login gives an address to approve and asks for the code shown there (the
token it gets is stored in the state folder with mode 0600).
"""

from __future__ import annotations

import asyncio
import sys

from imatch.client import IMatchClient
from sync.config import Credentials, Settings, app_variable_names, credentials, load_settings
from sync.platforms import registry
from sync.platforms.registry import LoginStep
from sync.secret_store import SecretStore


async def _credentials(settings: Settings) -> Credentials:
    imatch = settings.imatch
    async with IMatchClient(imatch.url, user=imatch.user or None, timeout=imatch.timeout) as c:
        return credentials(await c.app_variables(app_variable_names()), settings)


def run_login(platform: str) -> int:
    settings = load_settings()
    creds = asyncio.run(_credentials(settings))
    flow = registry.spec(platform).login(settings, creds.of(platform), SecretStore())
    step = asyncio.run(flow.start())
    if step.ok is None and step.url:
        print("Open this address in a browser, approve imatch-socials, then type the code shown:")
        print(step.url, flush=True)
        try:
            code = input("Code: ").strip()
        except EOFError:
            code = ""
        step = asyncio.run(flow.finish(code))
    return _outcome(platform, step)


def _outcome(platform: str, step: LoginStep) -> int:
    if step.ok:
        print(step.text)
        return 0
    print(f"imatch-socials: {platform}: {step.text}", file=sys.stderr)
    return 2
