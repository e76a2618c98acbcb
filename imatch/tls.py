"""The TLS settings every HTTP client of the app shares, built once per process.

httpx builds a new TLS context for each client it creates (about 30 ms: it loads the
certificate bundle), even for plain-HTTP addresses. A run opens a client for IMatch and
one per platform, and the front ends open more: sharing one context that checks
certificates exactly as httpx's default does saves that time on every one of them.
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
