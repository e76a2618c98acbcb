"""The TLS settings every HTTP client of the app shares, built once per process.

httpx builds a new TLS context for each client it creates (about 30 ms: it loads the
certificate bundle), even for plain-HTTP addresses. A run opens a client for IMatch and
one per platform, and the front ends open more: sharing one context that checks
certificates exactly as httpx's default does saves that time on every one of them, and a
client of a plain-HTTP address (IMatch on this computer) needs no bundle at all.
"""

from __future__ import annotations

import ssl
from functools import cache

import httpx


@cache
def default_tls_context() -> ssl.SSLContext:
    """httpx's default (certificates checked against certifi's bundle, or the bundle
    named by SSL_CERT_FILE / SSL_CERT_DIR), made at the first call."""
    return httpx.create_ssl_context(trust_env=True)


def tls_context_for(url: str) -> ssl.SSLContext:
    """The context for a client of `url`: the checking one, except for a plain `http://`
    address, which never uses one: it gets a context that trusts no certificate, so it
    would refuse any rather than accept it, and nothing is loaded for it."""
    if url[:7].lower() == "http://":
        return _trusting_nothing()
    return default_tls_context()


@cache
def _trusting_nothing() -> ssl.SSLContext:
    # Certificates and host names are checked (PROTOCOL_TLS_CLIENT's default), against
    # no trusted certificate at all.
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
