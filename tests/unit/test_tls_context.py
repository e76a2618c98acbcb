"""Every HTTP client of the app shares one TLS context that checks certificates as
httpx's default does (building one per client cost about 30 ms each, on every run)."""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from imatch.client import IMatchClient
from sync.platforms.mastodon.api import MastodonAPI
from sync.platforms.pixelfed.api import PixelfedAPI


def tls_context(http: httpx.AsyncClient) -> ssl.SSLContext:
    context = http._transport._pool._ssl_context  # type: ignore[attr-defined]
    assert isinstance(context, ssl.SSLContext)
    return context


async def test_the_imatch_and_platform_clients_share_one_checking_tls_context() -> None:
    clients: list[Any] = [
        IMatchClient("https://imatch.example:50519", user="tester"),
        IMatchClient("http://127.0.0.1:50519", user="tester"),
        PixelfedAPI("https://pixelfed.example", "token"),
        MastodonAPI("https://mastodon.example", "token"),
    ]
    try:
        contexts = {id(tls_context(client._http)) for client in clients}
        assert len(contexts) == 1
        context = tls_context(clients[0]._http)
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.check_hostname
        assert context.get_ca_certs()  # the bundle is loaded
    finally:
        for client in clients:
            await client.close()
