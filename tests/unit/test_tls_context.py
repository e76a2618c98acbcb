"""Every HTTPS client of the app shares one TLS context that checks certificates as
httpx's default does (building one per client cost about 30 ms each, on every run); a
plain-HTTP client (IMatch on this computer) loads no certificates at all."""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from imatch.client import IMatchClient
from imatch.tls import default_tls_context
from sync.platforms.mastodon.api import MastodonAPI
from sync.platforms.pixelfed.api import PixelfedAPI


def tls_context(http: httpx.AsyncClient) -> ssl.SSLContext:
    context = http._transport._pool._ssl_context  # type: ignore[attr-defined]
    assert isinstance(context, ssl.SSLContext)
    return context


async def test_the_imatch_and_platform_clients_share_one_checking_tls_context() -> None:
    clients: list[Any] = [
        IMatchClient("https://imatch.example:50519", user="tester"),
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


async def test_a_plain_http_client_loads_no_certificates_and_would_refuse_any() -> None:
    default_tls_context.cache_clear()
    clients: list[Any] = [
        IMatchClient("http://127.0.0.1:50519", user="tester"),
        PixelfedAPI("HTTP://127.0.0.1:8080", "token"),
        MastodonAPI("http://localhost:3000", "token"),
    ]
    try:
        # The checking context (its bundle took 30 ms to load) was never made...
        assert default_tls_context.cache_info().currsize == 0
        for client in clients:
            context = tls_context(client._http)
            # ...and the one the client holds, never used for http://, trusts nothing.
            assert not context.get_ca_certs()
            assert context.verify_mode == ssl.CERT_REQUIRED
            assert context.check_hostname
    finally:
        for client in clients:
            await client.close()
