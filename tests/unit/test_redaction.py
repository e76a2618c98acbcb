"""Secrets masked in log records: the same result as the case-insensitive patterns, found
without running them over every long request line (issue 17: each IMatch request URL
carries hundreds of ids, and scanning them twice a request was 6 % of a dry run's CPU)."""

from __future__ import annotations

import random
import re

import pytest

import imatch.redaction as redaction
from imatch.redaction import MASK, SECRET_NAMES, redact_text

REFERENCE_PARAMETER = re.compile(
    r"(?i)\b(" + "|".join(re.escape(n) for n in SECRET_NAMES) + r")=([^&\s\"',]+)"
)
REFERENCE_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")


def reference(text: str) -> str:
    return REFERENCE_BEARER.sub(rf"\1 {MASK}", REFERENCE_PARAMETER.sub(rf"\1={MASK}", text))


PIECES = [
    *SECRET_NAMES, "Auth_Token", "TOKEN", "x_token", "tokens", "my", "id", "fields",
    "=", "==", "&", "?", " ", "\t", '"', "'", ",", ";", "_", "-", ".", "/", "Bearer",
    "bearer", "BEARER ", "abc123", "s3cr3t", "1,2,3", "\u212a", "\u017f", "\u0130", "é", "ß",
]  # fmt: skip


def test_redaction_masks_exactly_what_the_patterns_mask() -> None:
    generator = random.Random(17)
    for _ in range(20_000):
        text = "".join(generator.choice(PIECES) for _ in range(generator.randint(0, 14)))
        assert redact_text(text) == reference(text), text


@pytest.mark.parametrize(
    "text",
    [
        "GET http://127.0.0.1:50519/v1/files?id=1,2,3&auth_token=abc123 200",
        "auth_token=abc=token=x&token=y",
        "oauth_token_secret=s&oauth_token=t&OAUTH_VERIFIER=v",
        "x_token=keep&token=mask",
        "token=&password=,api_key='k'",
        "Authorization: Bearer abc.def/ghi=",
        "password=pa\u017f\u017f and to\u212aen=zz",
        "",
    ],
)
def test_examples_match_the_patterns(text: str) -> None:
    assert redact_text(text) == reference(text)


def test_a_long_ascii_request_line_is_masked_without_the_case_insensitive_scan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class NotToBeScanned:
        def sub(self, *args: object) -> str:
            raise AssertionError("the whole line was scanned with the pattern")

    monkeypatch.setattr(redaction, "_PARAMETER", NotToBeScanned())
    monkeypatch.setattr(redaction, "_BEARER", NotToBeScanned())
    ids = ",".join(str(n) for n in range(10_000, 10_500))
    line = f'HTTP Request: GET http://127.0.0.1:5000/v1/files?id={ids}&auth_token=s3cr3t "200"'
    masked = redact_text(line)
    assert "s3cr3t" not in masked
    assert masked == line.replace("auth_token=s3cr3t", f"auth_token={MASK}")
