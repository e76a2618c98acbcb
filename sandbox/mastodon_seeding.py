"""Make the Mastodon simulator agree with a library: an account, a token and the posts
the library's `mastodon` attribute records describe (their ids rewritten to match).

The counterpart of `seed_pixelfed` in `sandbox/seeding.py`, for `sandbox/world.py`.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from sandbox.imatch_db import IMatchDatabase
from sandbox.in_process import call_in_process
from sandbox.mastodon_server import MastodonSimulator
from sandbox.seeding import post_seeded_status, seeded_instances

LIFTED_LIMITS = ("media_limit", "statuses_limit", "per_token_limit", "per_user_limit")


def seed_mastodon(sim: MastodonSimulator, url: str, db: IMatchDatabase) -> str:
    """An account and token, and the library's posted photos as statuses; returns the
    token. The app variables `mastodon_url` and `mastodon_token` are set to match."""
    _, token = sim.create_account_with_token("demo")
    visibility = str(db.app_variables.get("mastodon_visibility", "public")) or "public"
    instances = seeded_instances(db, "mastodon")
    # A library's posts were made over months: lift the rate limits while seeding.
    saved = {name: getattr(sim.settings, name) for name in LIFTED_LIMITS}
    for name in LIFTED_LIMITS:
        setattr(sim.settings, name, None)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    try:

        async def post_all(http: httpx.AsyncClient) -> None:
            for instance in instances:
                image = _file_bytes(db, instance.file_id)
                await post_seeded_status(http, instance, image, visibility)

        call_in_process(sim.asgi_app, url, headers, post_all)
    finally:
        for name, value in saved.items():
            setattr(sim.settings, name, value)
        sim.state.throttles.clear()
        sim.state.families.clear()
    db.app_variables["mastodon_url"] = url
    db.app_variables["mastodon_token"] = token
    return token


def _file_bytes(db: IMatchDatabase, file_id: int) -> bytes:
    """The photo's JPEG, or a small placeholder when it is missing or not a JPEG."""
    try:
        data = Path(db.files[file_id].file_name).read_bytes()
    except OSError:
        return _placeholder()
    return data if data.startswith(b"\xff\xd8") and len(data) < 2_000_000 else _placeholder()


def _placeholder() -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("RGB", (32, 24), (90, 90, 90)).save(buffer, "JPEG")
    return buffer.getvalue()
