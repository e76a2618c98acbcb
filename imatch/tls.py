"""One verified TLS context for every HTTP client of the process (IMatch, pixelfed,
Mastodon).

httpx makes a new context for each client it is given none, loading the certificate
authorities each time (about 0.02 s of CPU per client at every start, even for IMatch at
a plain http:// address). The settings are the same for all: httpx's own, certificate
checks on, `SSL_CERT_FILE` and `SSL_CERT_DIR` honoured as httpx honours them.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()
